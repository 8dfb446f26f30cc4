//! Scan counters in Redis, shared by every instance. The database stays the truth:
//!
//! - Each committed group is counted by one Lua script call (one round trip): per event
//!   one hash (`{p}:counts:{org}:{event}`, fields `t:v`, `g:{gate}:d`, `d:{device}:x`, `occ`
//!   …) and per second one hash of the last minute's scans (`{p}:rate:{org}:{event}:{s}`,
//!   expiring after two minutes).
//! - The script counts only while `{p}:counters:epoch` is the epoch the instance knows,
//!   only scans above `{p}:counters:watermark`, and each group once (a group id kept
//!   for an hour, so a call that timed out after Redis ran it cannot count twice).
//! - An empty or restarted Redis has no epoch: the first instance to notice takes the
//!   rebuild lock, recounts in one database transaction that holds back scan writers
//!   (so every scan with an id up to the watermark is committed and counted, every later
//!   one gets a higher id), writes the counts, the watermark and a new epoch in one
//!   MULTI. Others wait for the epoch. Groups not yet counted stay queued and are
//!   counted afterwards, above the watermark only: nothing is counted twice or lost.
//! - While Redis is unreachable, groups queue (up to `PENDING_LIMIT` scans; past it
//!   the counters are rebuilt when Redis is back) and reads come from the database.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::future::BoxFuture;
use tokio::sync::Notify;

use super::recount::recount;
use super::redis_fields::{add_rates, counts_from_hash, field_of, APPLY};
use super::{occupancy_change, CountedScan, EventCounts, ScanCounters, WINDOW_SECONDS};
use crate::db::{self, DbError, Pool, Tenant};
use crate::redis_link::{LinkStatus, RedisError, RedisLink};

/// Scans waiting to be counted before the counters give up and rebuild instead.
const PENDING_LIMIT: usize = 200_000;
/// Scans counted in one script call: small enough that one call stays far inside the
/// response timeout on a loaded machine (a 4,000-scan call could exceed 250 ms).
const SCRIPT_BATCH: usize = 500;

pub struct RedisCounters {
    pub(super) link: Arc<RedisLink>,
    pub(super) pool: Pool,
    apply: redis::Script,
    state: Mutex<State>,
    /// Wakes the flusher: a group was queued, or Redis came back.
    wake: Notify,
}

#[derive(Default)]
struct State {
    /// The epoch this instance last saw; None: look again before counting.
    epoch: Option<String>,
    /// Groups not counted yet, oldest first, each with its id.
    pending: VecDeque<(String, Vec<CountedScan>)>,
    pending_scans: usize,
    /// Groups were dropped: the counters must be rebuilt.
    overflowed: bool,
}

impl RedisCounters {
    /// Starts the flusher, which counts queued groups and rebuilds when needed.
    pub fn start(link: Arc<RedisLink>, pool: Pool) -> Arc<Self> {
        let counters = Arc::new(Self {
            link,
            pool,
            apply: redis::Script::new(APPLY),
            state: Mutex::default(),
            wake: Notify::new(),
        });
        tokio::spawn(Arc::clone(&counters).flush_loop());
        counters
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts every queued group, rebuilding first when Redis has no epoch; wakes on
    /// new groups and whenever the link comes back up.
    async fn flush_loop(self: Arc<Self>) {
        let mut status = self.link.status();
        loop {
            if self.link.is_up() {
                if let Err(e) = self.flush().await {
                    tracing::warn!(error = %e, "scan counters not written to Redis yet");
                }
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                changed = status.changed() => {
                    if changed.is_err() { return }
                    // Back from an outage: Redis may have restarted empty; look again.
                    if *status.borrow() == LinkStatus::Up {
                        self.lock().epoch = None;
                    }
                }
            }
        }
    }

    async fn flush(&self) -> Result<(), RedisError> {
        loop {
            let epoch = self.current_epoch().await?;
            let Some((group_id, scans)) = self.lock().pending.front().cloned() else {
                return Ok(());
            };
            if self.count_group(&epoch, &group_id, &scans).await? {
                let mut state = self.lock();
                state.pending.pop_front();
                state.pending_scans -= scans.len();
            } else {
                self.lock().epoch = None;
            }
        }
    }

    /// Makes the flusher rebuild the counters from the database as soon as Redis answers.
    pub(super) fn owe_rebuild(&self) {
        self.lock().overflowed = true;
        self.wake.notify_one();
    }

    /// The epoch Redis holds, rebuilding the counters (or waiting for another instance
    /// to) when there is none or groups were dropped.
    async fn current_epoch(&self) -> Result<String, RedisError> {
        let (known, overflowed) = {
            let state = self.lock();
            (state.epoch.clone(), state.overflowed)
        };
        if overflowed {
            self.lock().overflowed = false;
            let key = self.link.key("counters:epoch");
            self.link
                .run(|mut conn| async move { redis::cmd("DEL").arg(key).query_async::<()>(&mut conn).await })
                .await?;
        } else if let Some(epoch) = known {
            return Ok(epoch);
        }
        let epoch = match self.read_epoch().await? {
            Some(epoch) => epoch,
            None => self.rebuild_or_wait().await?,
        };
        self.lock().epoch = Some(epoch.clone());
        Ok(epoch)
    }

    pub(super) async fn read_epoch(&self) -> Result<Option<String>, RedisError> {
        let key = self.link.key("counters:epoch");
        self.link
            .run(|mut conn| async move { redis::cmd("GET").arg(key).query_async(&mut conn).await })
            .await
    }

    async fn count_group(&self, epoch: &str, group_id: &str, scans: &[CountedScan]) -> Result<bool, RedisError> {
        let now = db::now_ms().div_euclid(1000);
        for chunk in scans.chunks(SCRIPT_BATCH) {
            let mut call = self.apply.prepare_invoke();
            call.arg(self.link.prefix())
                .arg(epoch)
                .arg(format!("{group_id}:{}", chunk[0].scan_id))
                .arg(now);
            for scan in chunk {
                call.arg(scan.scan_id)
                    .arg(format!("{}:{}", scan.organization_id, scan.event_id))
                    .arg(scan.gate_id)
                    .arg(scan.device_id)
                    .arg(field_of(scan.result, scan.direction))
                    .arg(occupancy_change(scan))
                    .arg(scan.scanned_at.div_euclid(1000))
                    .arg(zone_arg(scan.moved.and_then(|moved| moved.from)))
                    .arg(zone_arg(scan.moved.and_then(|moved| moved.to)));
            }
            let counted: i64 = self
                .link
                .run(|mut conn| async move { call.invoke_async(&mut conn).await })
                .await?;
            if counted == 0 {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The event's counters from Redis; None when Redis cannot answer for them (down,
    /// or not rebuilt yet).
    async fn read(&self, tenant: &Tenant, event_id: i64, now_ms: i64) -> Option<EventCounts> {
        let scope = format!("{}:{event_id}", tenant.organization_id());
        let now = now_ms.div_euclid(1000);
        let mut pipe = redis::pipe();
        pipe.get(self.link.key("counters:epoch"))
            .hgetall(self.link.key(&format!("counts:{scope}")));
        for second in (now - WINDOW_SECONDS + 1)..=now {
            pipe.hgetall(self.link.key(&format!("rate:{scope}:{second}")));
        }
        let answer = self
            .link
            .run(|mut conn| async move { pipe.query_async::<Vec<redis::Value>>(&mut conn).await })
            .await
            .ok()?;
        let mut values = answer.into_iter();
        let epoch: Option<String> = redis::from_redis_value(values.next()?).ok()?;
        epoch?;
        let counts: HashMap<String, i64> = redis::from_redis_value(values.next()?).ok()?;
        let mut result = counts_from_hash(&counts);
        for second in values {
            let rates: HashMap<String, i64> = redis::from_redis_value(second).ok()?;
            add_rates(&mut result, &rates);
        }
        Some(result)
    }

    /// The database's numbers for one event, while Redis cannot give them.
    async fn recount_event(&self, tenant: &Tenant, event_id: i64, now_ms: i64) -> Result<EventCounts, DbError> {
        let tenant = *tenant;
        let events = db::run(&self.pool, move |conn| {
            Ok(recount(conn, Some((&tenant, event_id)), now_ms)?)
        })
        .await?;
        Ok(events
            .get(&(tenant.organization_id(), event_id))
            .map(|counters| counters.snapshot(now_ms))
            .unwrap_or_default())
    }
}

/// A zone id as the counting script's argument ('' for none).
fn zone_arg(zone: Option<i64>) -> String {
    zone.map(|zone| zone.to_string()).unwrap_or_default()
}

impl ScanCounters for RedisCounters {
    /// Queues the group and wakes the flusher; the writer does not wait for Redis.
    fn record(&self, scans: &[CountedScan]) {
        {
            let mut state = self.lock();
            if state.pending_scans + scans.len() > PENDING_LIMIT {
                state.pending.clear();
                state.pending_scans = 0;
                state.overflowed = true;
            } else {
                state.pending.push_back((crate::tokens::random_token(), scans.to_vec()));
                state.pending_scans += scans.len();
            }
        }
        self.wake.notify_one();
    }

    fn event_counts<'a>(
        &'a self,
        tenant: &'a Tenant,
        event_id: i64,
        now_ms: i64,
    ) -> BoxFuture<'a, Result<EventCounts, DbError>> {
        Box::pin(async move {
            match self.read(tenant, event_id, now_ms).await {
                Some(counts) => Ok(counts),
                None => self.recount_event(tenant, event_id, now_ms).await,
            }
        })
    }

    fn occupancy<'a>(&'a self, tenant: &'a Tenant, event_id: i64) -> BoxFuture<'a, Result<i64, DbError>> {
        Box::pin(async move {
            let key = self
                .link
                .key(&format!("counts:{}:{event_id}", tenant.organization_id()));
            let epoch_key = self.link.key("counters:epoch");
            let read = self
                .link
                .run(|mut conn| async move {
                    redis::pipe()
                        .get(epoch_key)
                        .cmd("HMGET")
                        .arg(key)
                        .arg("occ")
                        .arg("zcsum")
                        .query_async::<(Option<String>, (Option<i64>, Option<i64>))>(&mut conn)
                        .await
                })
                .await;
            match read {
                Ok((Some(_), (inside, corrected))) => Ok(inside.unwrap_or(0) + corrected.unwrap_or(0)),
                _ => Ok(self.recount_event(tenant, event_id, db::now_ms()).await?.occupancy),
            }
        })
    }

    fn set_corrections<'a>(
        &'a self,
        tenant: &'a Tenant,
        event_id: i64,
        corrections: HashMap<i64, i64>,
    ) -> BoxFuture<'a, Result<(), DbError>> {
        let scope = format!("{}:{event_id}", tenant.organization_id());
        Box::pin(async move {
            self.write_corrections(scope, &corrections).await;
            Ok(())
        })
    }
}
