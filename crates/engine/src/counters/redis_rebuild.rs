//! Rebuilding the Redis counters from the database, once, by whichever instance takes
//! the rebuild lock: a recount that holds back scan writers, so the watermark splits
//! the scans exactly into counted and not yet counted, then every counter, the
//! watermark and a new epoch written in one MULTI.

use std::time::Duration;

use diesel::RunQueryDsl;

use super::recount::{recount, CountersByEvent};
use super::redis::RedisCounters;
use super::redis_fields::{correction_fields, hash_fields, rate_fields};
use crate::db::{self, DbConnection};
use crate::redis_link::RedisError;

/// Longest a rebuild may hold the lock.
const REBUILD_LOCK_MS: u64 = 60_000;

impl RedisCounters {
    /// Writes an event's headcount corrections (absolute, so writing twice is
    /// harmless); where Redis cannot take them, the counters are rebuilt from the
    /// database, which has them, once it can.
    pub(super) async fn write_corrections(&self, scope: String, corrections: &std::collections::HashMap<i64, i64>) {
        let key = self.link.key(&format!("counts:{scope}"));
        let fields = correction_fields(corrections);
        let written = self
            .link
            .run(|mut conn| async move {
                redis::cmd("HSET")
                    .arg(key)
                    .arg(fields)
                    .query_async::<()>(&mut conn)
                    .await
            })
            .await;
        if let Err(error) = written {
            tracing::warn!(%error, "headcount corrections not written to Redis; the counters will be rebuilt");
            self.owe_rebuild();
        }
    }

    /// Rebuilds under the lock, or waits (up to the lock's life) for whoever holds it.
    pub(super) async fn rebuild_or_wait(&self) -> Result<String, RedisError> {
        let token = crate::tokens::random_token();
        let lock = self.link.key("counters:rebuild");
        let taken: Option<String> = {
            let (lock, token) = (lock.clone(), token.clone());
            self.link
                .run(|mut conn| async move {
                    redis::cmd("SET")
                        .arg(lock)
                        .arg(token)
                        .arg("NX")
                        .arg("PX")
                        .arg(REBUILD_LOCK_MS)
                        .query_async(&mut conn)
                        .await
                })
                .await?
        };
        if taken.is_none() {
            for _ in 0..(REBUILD_LOCK_MS / 100) {
                tokio::time::sleep(Duration::from_millis(100)).await;
                if let Some(epoch) = self.read_epoch().await? {
                    return Ok(epoch);
                }
            }
            return Err(RedisError::Unavailable(
                "another instance's counter rebuild did not finish".into(),
            ));
        }
        let rebuilt = self.rebuild().await;
        let release = redis::Script::new(
            "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
        );
        let mut call = release.key(lock);
        call.arg(token);
        self.link
            .run(|mut conn| async move { call.invoke_async::<i64>(&mut conn).await })
            .await?;
        rebuilt
    }

    /// Recounts from the database and replaces every counter in one MULTI.
    async fn rebuild(&self) -> Result<String, RedisError> {
        let started = std::time::Instant::now();
        let now = db::now_ms();
        let (events, watermark) = db::run(&self.pool, move |conn| Ok(recount_with_writers_held(conn, now)?))
            .await
            .map_err(|e| RedisError::Unavailable(format!("cannot recount scans: {e}")))?;
        let old: Vec<String> = {
            let (counts, rates) = (self.link.key("counts:*"), self.link.key("rate:*"));
            let mut keys = self.scan_keys(counts).await?;
            keys.extend(self.scan_keys(rates).await?);
            keys
        };
        let epoch = crate::tokens::random_token();
        let mut pipe = redis::pipe();
        pipe.atomic();
        for chunk in old.chunks(1_000) {
            pipe.del(chunk).ignore();
        }
        for ((org, event), counters) in &events {
            let scope = format!("{org}:{event}");
            let fields = hash_fields(counters);
            if !fields.is_empty() {
                pipe.hset_multiple(self.link.key(&format!("counts:{scope}")), &fields)
                    .ignore();
            }
            for (second, fields) in rate_fields(counters, now) {
                let key = self.link.key(&format!("rate:{scope}:{second}"));
                pipe.hset_multiple(&key, &fields).ignore().expire(&key, 120).ignore();
            }
        }
        pipe.set(self.link.key("counters:watermark"), watermark).ignore();
        pipe.set(self.link.key("counters:epoch"), &epoch).ignore();
        self.link
            .run(|mut conn| async move { pipe.query_async::<()>(&mut conn).await })
            .await?;
        tracing::info!(events = events.len(), watermark, elapsed = ?started.elapsed(), "scan counters rebuilt in Redis from the database");
        Ok(epoch)
    }

    async fn scan_keys(&self, pattern: String) -> Result<Vec<String>, RedisError> {
        let mut keys = Vec::new();
        let mut cursor: u64 = 0;
        loop {
            let pattern = pattern.clone();
            let (next, batch): (u64, Vec<String>) = self
                .link
                .run(|mut conn| async move {
                    redis::cmd("SCAN")
                        .arg(cursor)
                        .arg("MATCH")
                        .arg(pattern)
                        .arg("COUNT")
                        .arg(1_000)
                        .query_async(&mut conn)
                        .await
                })
                .await?;
            keys.extend(batch);
            if next == 0 {
                return Ok(keys);
            }
            cursor = next;
        }
    }
}

/// The recount, in a transaction that first waits for every scan writer's open
/// transaction and holds new ones back until it ends (PostgreSQL: `LOCK TABLE scans
/// IN SHARE MODE`; SQLite: the write lock), so the watermark (the newest scan id) splits
/// the scans exactly into counted and not yet counted.
fn recount_with_writers_held(conn: &mut DbConnection, now_ms: i64) -> diesel::QueryResult<(CountersByEvent, i64)> {
    db::write_transaction(conn, |conn| {
        if matches!(conn, DbConnection::Postgresql(_)) {
            diesel::sql_query("LOCK TABLE scans IN SHARE MODE").execute(conn)?;
        }
        let watermark = crate::queries::newest_scan_id(conn)?;
        Ok((recount(conn, None, now_ms)?, watermark))
    })
}
