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
use std::time::Duration;

use diesel::RunQueryDsl;
use futures_util::future::BoxFuture;
use tokio::sync::Notify;

use super::counters::{self, recount, CountedScan, CountersByEvent, EventCounters, EventCounts, ScanCounters, Tally};
use super::model::{Direction, ScanResult};
use crate::db::{self, DbConnection, Pool, Tenant};
use crate::error::AppError;
use crate::redis_link::{LinkStatus, RedisError, RedisLink};

/// Scans waiting to be counted before the counters give up and rebuild instead.
const PENDING_LIMIT: usize = 200_000;
/// Scans counted in one script call: small enough that one call stays far inside the
/// response timeout on a loaded machine (a 4,000-scan call could exceed 250 ms).
const SCRIPT_BATCH: usize = 500;
/// Longest a rebuild may hold the lock.
const REBUILD_LOCK_MS: u64 = 60_000;

const APPLY: &str = r"
local p = ARGV[1]
if redis.call('GET', p .. ':counters:epoch') ~= ARGV[2] then return 0 end
if redis.call('SET', p .. ':counters:group:' .. ARGV[3], 1, 'NX', 'EX', 3600) == false then return 1 end
local watermark = tonumber(redis.call('GET', p .. ':counters:watermark') or '0')
local now = tonumber(ARGV[4])
local i = 5
while i <= #ARGV do
  if tonumber(ARGV[i]) > watermark then
    local event = ARGV[i + 1]
    local counts = p .. ':counts:' .. event
    local gate, device, field = ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
    redis.call('HINCRBY', counts, 't:' .. field, 1)
    redis.call('HINCRBY', counts, 'g:' .. gate .. ':' .. field, 1)
    redis.call('HINCRBY', counts, 'd:' .. device .. ':' .. field, 1)
    local occupancy = tonumber(ARGV[i + 5])
    if occupancy ~= 0 then redis.call('HINCRBY', counts, 'occ', occupancy) end
    local second = tonumber(ARGV[i + 6])
    if second > now - 60 and second <= now + 5 then
      local rate = p .. ':rate:' .. event .. ':' .. second
      redis.call('HINCRBY', rate, 't', 1)
      redis.call('HINCRBY', rate, 'g:' .. gate, 1)
      redis.call('HINCRBY', rate, 'd:' .. device, 1)
      redis.call('EXPIRE', rate, 120)
    end
  end
  i = i + 7
end
return 1
";

pub struct RedisCounters {
    link: Arc<RedisLink>,
    pool: Pool,
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

    async fn read_epoch(&self) -> Result<Option<String>, RedisError> {
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
                    .arg(counters::occupancy_change(scan))
                    .arg(scan.scanned_at.div_euclid(1000));
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

    /// Rebuilds under the lock, or waits (up to the lock's life) for whoever holds it.
    async fn rebuild_or_wait(&self) -> Result<String, RedisError> {
        let token = crate::auth::random_token();
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
        let epoch = crate::auth::random_token();
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

    /// The event's counters from Redis; None when Redis cannot answer for them (down,
    /// or not rebuilt yet).
    async fn read(&self, tenant: &Tenant, event_id: i64, now_ms: i64) -> Option<EventCounts> {
        let scope = format!("{}:{event_id}", tenant.organization_id());
        let now = now_ms.div_euclid(1000);
        let mut pipe = redis::pipe();
        pipe.get(self.link.key("counters:epoch"))
            .hgetall(self.link.key(&format!("counts:{scope}")));
        for second in (now - counters::WINDOW_SECONDS + 1)..=now {
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
    async fn recount_event(&self, tenant: &Tenant, event_id: i64, now_ms: i64) -> Result<EventCounts, AppError> {
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
                state.pending.push_back((crate::auth::random_token(), scans.to_vec()));
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
    ) -> BoxFuture<'a, Result<EventCounts, AppError>> {
        Box::pin(async move {
            match self.read(tenant, event_id, now_ms).await {
                Some(counts) => Ok(counts),
                None => self.recount_event(tenant, event_id, now_ms).await,
            }
        })
    }

    fn occupancy<'a>(&'a self, tenant: &'a Tenant, event_id: i64) -> BoxFuture<'a, Result<i64, AppError>> {
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
                        .hget(key, "occ")
                        .query_async::<(Option<String>, Option<i64>)>(&mut conn)
                        .await
                })
                .await;
            match read {
                Ok((Some(_), inside)) => Ok(inside.unwrap_or(0)),
                _ => Ok(self.recount_event(tenant, event_id, db::now_ms()).await?.occupancy),
            }
        })
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
        let watermark = super::queries::newest_scan_id(conn)?;
        Ok((recount(conn, None, now_ms)?, watermark))
    })
}

fn field_of(result: ScanResult, direction: Direction) -> &'static str {
    match (result, direction) {
        (ScanResult::Valid, Direction::In) => "v",
        (ScanResult::Valid, Direction::Out) => "x",
        (ScanResult::Duplicate, _) => "d",
        (ScanResult::Invalid, _) => "i",
    }
}

fn tally_fields(prefix: &str, tally: &Tally) -> Vec<(String, i64)> {
    [
        ("v", tally.valid),
        ("d", tally.duplicate),
        ("i", tally.invalid),
        ("x", tally.exits),
    ]
    .into_iter()
    .filter(|(_, n)| *n != 0)
    .map(|(field, n)| (format!("{prefix}{field}"), n))
    .collect()
}

fn hash_fields(counters: &EventCounters) -> Vec<(String, i64)> {
    let mut fields = tally_fields("t:", &counters.totals.tally);
    for (gate, counter) in &counters.gates {
        fields.extend(tally_fields(&format!("g:{gate}:"), &counter.tally));
    }
    for (device, counter) in &counters.devices {
        fields.extend(tally_fields(&format!("d:{device}:"), &counter.tally));
    }
    if counters.occupancy != 0 {
        fields.push(("occ".into(), counters.occupancy));
    }
    fields
}

/// Per second of the last minute: the rate hash's fields.
fn rate_fields(counters: &EventCounters, now_ms: i64) -> HashMap<i64, Vec<(String, i64)>> {
    let now = now_ms.div_euclid(1000);
    let mut seconds: HashMap<i64, Vec<(String, i64)>> = HashMap::new();
    let mut add = |field: String, ring: &[(i64, i64)]| {
        for &(second, n) in ring {
            if n > 0 && now - second < counters::WINDOW_SECONDS && second <= now {
                seconds.entry(second).or_default().push((field.clone(), n));
            }
        }
    };
    add("t".into(), &counters.totals.seconds);
    for (gate, counter) in &counters.gates {
        add(format!("g:{gate}"), &counter.seconds);
    }
    for (device, counter) in &counters.devices {
        add(format!("d:{device}"), &counter.seconds);
    }
    seconds
}

fn counts_from_hash(hash: &HashMap<String, i64>) -> EventCounts {
    let mut counts = EventCounts::default();
    for (field, &n) in hash {
        let mut parts = field.split(':');
        let tally = match (parts.next(), parts.next(), parts.next()) {
            (Some("occ"), None, None) => {
                counts.occupancy = n;
                continue;
            }
            (Some("t"), Some(kind), None) => Some((&mut counts.totals, kind)),
            (Some("g"), Some(id), Some(kind)) => id.parse().ok().map(|id| (counts.gates.entry(id).or_default(), kind)),
            (Some("d"), Some(id), Some(kind)) => {
                id.parse().ok().map(|id| (counts.devices.entry(id).or_default(), kind))
            }
            _ => None,
        };
        if let Some((tally, kind)) = tally {
            match kind {
                "v" => tally.valid += n,
                "d" => tally.duplicate += n,
                "i" => tally.invalid += n,
                "x" => tally.exits += n,
                _ => {}
            }
        }
    }
    counts
}

fn add_rates(counts: &mut EventCounts, rates: &HashMap<String, i64>) {
    for (field, &n) in rates {
        let mut parts = field.split(':');
        match (parts.next(), parts.next().and_then(|id| id.parse::<i64>().ok())) {
            (Some("t"), None) => counts.totals.per_minute += n,
            (Some("g"), Some(id)) => counts.gates.entry(id).or_default().per_minute += n,
            (Some("d"), Some(id)) => counts.devices.entry(id).or_default().per_minute += n,
            _ => {}
        }
    }
}
