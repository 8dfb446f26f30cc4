//! How the scan counters are laid out in Redis: the Lua script that counts a group,
//! the hash fields a tally is written as (`t:v`, `g:{gate}:d`, `d:{device}:x`, `occ`,
//! a zone's tickets `z:{zone}` and its headcount correction `zc:{zone}`)
//! and read back from, and the per-second rate hashes of the last minute. Plain data,
//! no connection.

use std::collections::HashMap;

use super::event_counters::{shown_zones, EventCounters};
use super::{EventCounts, Tally, WINDOW_SECONDS};
use crate::model::{Direction, ScanResult};

/// Counts one group; see `redis.rs` for the epoch, watermark and group-id rules.
pub const APPLY: &str = r"local p = ARGV[1]
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
    if ARGV[i + 7] ~= '' then redis.call('HINCRBY', counts, 'z:' .. ARGV[i + 7], -1) end
    if ARGV[i + 8] ~= '' then redis.call('HINCRBY', counts, 'z:' .. ARGV[i + 8], 1) end
    local second = tonumber(ARGV[i + 6])
    if second > now - 60 and second <= now + 5 then
      local rate = p .. ':rate:' .. event .. ':' .. second
      redis.call('HINCRBY', rate, 't', 1)
      redis.call('HINCRBY', rate, 'g:' .. gate, 1)
      redis.call('HINCRBY', rate, 'd:' .. device, 1)
      redis.call('EXPIRE', rate, 120)
    end
  end
  i = i + 9
end
return 1
";

/// The field a scan counts in.
pub fn field_of(result: ScanResult, direction: Direction) -> &'static str {
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

/// Every counter of an event as its count hash's fields.
pub fn hash_fields(counters: &EventCounters) -> Vec<(String, i64)> {
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
    fields.extend(counters.zones.iter().map(|(zone, n)| (format!("z:{zone}"), *n)));
    fields.extend(correction_fields(&counters.corrections));
    fields
}

/// A zone's correction `zc:{zone}`, and their sum `zcsum` (what `occupancy` adds to `occ`).
pub fn correction_fields(corrections: &HashMap<i64, i64>) -> Vec<(String, i64)> {
    let mut fields: Vec<(String, i64)> = corrections.iter().map(|(zone, n)| (format!("zc:{zone}"), *n)).collect();
    fields.push(("zcsum".into(), corrections.values().sum()));
    fields
}

/// Per second of the last minute: the rate hash's fields.
pub fn rate_fields(counters: &EventCounters, now_ms: i64) -> HashMap<i64, Vec<(String, i64)>> {
    let now = now_ms.div_euclid(1000);
    let mut seconds: HashMap<i64, Vec<(String, i64)>> = HashMap::new();
    let mut add = |field: String, ring: &[(i64, i64)]| {
        for &(second, n) in ring {
            if n > 0 && now - second < WINDOW_SECONDS && second <= now {
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

/// An event's count hash, read back.
pub fn counts_from_hash(hash: &HashMap<String, i64>) -> EventCounts {
    let mut counts = EventCounts::default();
    let (mut zones, mut corrections) = (HashMap::new(), HashMap::new());
    for (field, &n) in hash {
        let mut parts = field.split(':');
        let tally = match (parts.next(), parts.next(), parts.next()) {
            (Some("occ"), None, None) => {
                counts.occupancy += n;
                continue;
            }
            (Some(kind @ ("z" | "zc")), Some(id), None) => {
                if let Ok(zone) = id.parse::<i64>() {
                    let map = if kind == "z" { &mut zones } else { &mut corrections };
                    map.insert(zone, n);
                }
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
    counts.occupancy += corrections.values().sum::<i64>();
    counts.zones = shown_zones(&zones, &corrections);
    counts
}

/// Adds one second's rate hash to the scans of the last minute.
pub fn add_rates(counts: &mut EventCounts, rates: &HashMap<String, i64>) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::counters::CountedScan;

    #[test]
    fn counters_written_as_fields_read_back_as_the_same_counts() {
        let mut counters = EventCounters::default();
        let scan = CountedScan {
            scan_id: 1,
            organization_id: 1,
            event_id: 1,
            gate_id: 4,
            device_id: 9,
            result: ScanResult::Valid,
            direction: Direction::In,
            scanned_at: 0,
            moved: Some(crate::model::Movement {
                inside: 1,
                from: None,
                to: Some(3),
            }),
        };
        for counter in counters.counters_for(4, 9) {
            counter.add(&scan);
        }
        counters.add_movement(&scan.moved.unwrap());
        counters.corrections.insert(3, -1);
        let hash: HashMap<String, i64> = hash_fields(&counters).into_iter().collect();
        let counts = counts_from_hash(&hash);
        assert_eq!(counts.totals.valid, 1);
        assert_eq!(counts.gates.get(&4).map(|t| t.valid), Some(1));
        assert_eq!(counts.devices.get(&9).map(|t| t.valid), Some(1));
        assert_eq!(counts.occupancy, 0, "one ticket inside, corrected by -1");
        assert_eq!(counts.zones.get(&3), Some(&0));
        assert_eq!(field_of(ScanResult::Duplicate, Direction::Out), "d");
    }
}
