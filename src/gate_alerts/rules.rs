//! What counts as a gate anomaly: plain functions over counts the detector read, with
//! every threshold a named constant (`docs/gate-operations.md` lists them). No database, no clock.

use std::collections::HashMap;

use super::model::{AlertKind, Finding};

/// The window an invalid-scan spike and a counterfeit burst are counted over.
pub const RECENT_MS: i64 = 2 * 60_000;
/// A gate's baseline: its unknown codes over the 30 minutes before the recent window.
pub const BASELINE_MS: i64 = 30 * 60_000;
/// A spike is this many times the gate's baseline (per 2 minutes) or more …
pub const SPIKE_FACTOR: i64 = 3;
/// … where the baseline counts as at least this many unknown codes per 2 minutes, so a
/// quiet gate needs 3 × 2 = 6 unknown codes in 2 minutes, not 1 after 0.
pub const BASELINE_FLOOR: i64 = 2;
/// A counterfeit batch: this many different unknown codes in 2 minutes at one gate …
pub const COUNTERFEIT_CODES: usize = 4;
/// … that share their first this many characters.
pub const PREFIX_CHARS: usize = 6;
/// Ticket passing: an admitted ticket presented again this many times while inside …
pub const PASSING_PRESENTATIONS: i64 = 3;
/// … within this window.
pub const PASSING_WINDOW_MS: i64 = 10 * 60_000;
/// A device is silent when nothing came from it for this long …
pub const SILENT_AFTER_MS: i64 = 3 * 60_000;
/// … while the other devices at its gate recorded at least this many scans in that time.
pub const BUSY_GATE_SCANS: i64 = 10;
/// A device reporting a battery under this percentage.
pub const LOW_BATTERY_PERCENT: i32 = 15;
/// Battery reports older than this are not believed any more.
pub const BATTERY_REPORT_MS: i64 = 30 * 60_000;
/// One gate's unknown codes: in the recent window, and in the baseline window before it.
#[derive(Clone, Copy, Debug)]
pub struct GateUnknowns {
    pub gate_id: i64,
    pub recent: i64,
    pub before: i64,
}

/// Unknown codes at or above `SPIKE_FACTOR` times the gate's (floored) baseline.
pub fn invalid_spike(gate: GateUnknowns) -> Option<Finding> {
    let windows = BASELINE_MS / RECENT_MS;
    // Rounded up, so a baseline of 31 in 30 minutes is 3 per 2 minutes, not 2.
    let baseline = ((gate.before + windows - 1) / windows).max(BASELINE_FLOOR);
    (gate.recent >= SPIKE_FACTOR * baseline).then(|| Finding {
        kind: AlertKind::InvalidSpike,
        gate_id: gate.gate_id,
        device_id: None,
        subject: String::new(),
        detail: format!(
            "{} unknown codes in 2 min (usual: {} per 2 min)",
            gate.recent,
            (gate.before + windows - 1) / windows
        ),
    })
}

/// The recent unknown codes of each gate (`(gate_id, code)`, repeats allowed): one
/// finding per gate and prefix shared by `COUNTERFEIT_CODES` different codes or more.
pub fn counterfeit_batches(codes: &[(i64, String)]) -> Vec<Finding> {
    let mut by_prefix: HashMap<(i64, &str), Vec<&str>> = HashMap::new();
    for (gate_id, code) in codes {
        let Some(prefix) = code.get(..PREFIX_CHARS) else {
            continue;
        };
        let seen = by_prefix.entry((*gate_id, prefix)).or_default();
        if !seen.contains(&code.as_str()) {
            seen.push(code);
        }
    }
    let mut found: Vec<Finding> = by_prefix
        .into_iter()
        .filter(|(_, codes)| codes.len() >= COUNTERFEIT_CODES)
        .map(|((gate_id, prefix), codes)| Finding {
            kind: AlertKind::CounterfeitBatch,
            gate_id,
            device_id: None,
            subject: format!("prefix:{prefix}"),
            detail: format!("{} unknown codes starting {prefix} in 2 min", codes.len()),
        })
        .collect();
    found.sort_by(|a, b| (a.gate_id, &a.subject).cmp(&(b.gate_id, &b.subject)));
    found
}

/// A ticket inside, presented again `times` times at a gate within the window.
#[derive(Clone, Copy, Debug)]
pub struct Presentations {
    pub gate_id: i64,
    pub ticket_id: i64,
    pub times: i64,
}

pub fn ticket_passing(seen: Presentations) -> Option<Finding> {
    (seen.times >= PASSING_PRESENTATIONS).then(|| Finding {
        kind: AlertKind::TicketPassing,
        gate_id: seen.gate_id,
        device_id: None,
        subject: format!("ticket:{}", seen.ticket_id),
        detail: format!(
            "one ticket presented {} more times in {} min while its holder is inside",
            seen.times,
            PASSING_WINDOW_MS / 60_000
        ),
    })
}

/// A device as the detector sees it.
#[derive(Clone, Debug)]
pub struct DeviceState {
    pub device_id: i64,
    pub gate_id: i64,
    pub name: String,
    /// Its last heartbeat or scan batch; None: never heard from.
    pub last_seen: Option<i64>,
    pub battery: Option<i32>,
}

/// A device heard from before but not for `SILENT_AFTER_MS`, while the others at its
/// gate recorded `others_scans` (since `now - SILENT_AFTER_MS`), at least `BUSY_GATE_SCANS`.
pub fn device_silent(device: &DeviceState, others_scans: i64, now: i64) -> Option<Finding> {
    let last_seen = device.last_seen?;
    let silent_for = now - last_seen;
    (silent_for >= SILENT_AFTER_MS && others_scans >= BUSY_GATE_SCANS).then(|| Finding {
        kind: AlertKind::DeviceSilent,
        gate_id: device.gate_id,
        device_id: Some(device.device_id),
        subject: format!("device:{}", device.device_id),
        detail: format!(
            "{} silent for {} min while its gate is busy ({others_scans} scans by others)",
            device.name,
            silent_for / 60_000
        ),
    })
}

/// A device whose last (recent enough) report says its battery is under the threshold.
pub fn low_battery(device: &DeviceState, now: i64) -> Option<Finding> {
    let battery = device.battery?;
    let recent = device.last_seen.is_some_and(|seen| now - seen <= BATTERY_REPORT_MS);
    (recent && battery < LOW_BATTERY_PERCENT).then(|| Finding {
        kind: AlertKind::LowBattery,
        gate_id: device.gate_id,
        device_id: Some(device.device_id),
        subject: format!("device:{}", device.device_id),
        detail: format!("{} battery at {battery} %", device.name),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 10_000_000;

    fn unknowns(recent: i64, before: i64) -> GateUnknowns {
        GateUnknowns {
            gate_id: 1,
            recent,
            before,
        }
    }

    #[test]
    fn a_quiet_gate_needs_six_unknown_codes_in_two_minutes_not_one() {
        assert!(invalid_spike(unknowns(3, 0)).is_none());
        assert!(invalid_spike(unknowns(5, 0)).is_none());
        assert!(invalid_spike(unknowns(6, 0)).is_some());
    }

    #[test]
    fn a_gate_with_a_high_baseline_needs_three_times_it() {
        // 150 in 30 minutes: 10 per 2 minutes.
        assert!(invalid_spike(unknowns(29, 150)).is_none());
        let found = invalid_spike(unknowns(30, 150)).unwrap();
        assert_eq!(found.kind, AlertKind::InvalidSpike);
        assert_eq!(found.detail, "30 unknown codes in 2 min (usual: 10 per 2 min)");
    }

    fn codes(gate_id: i64, list: &[&str]) -> Vec<(i64, String)> {
        list.iter().map(|c| (gate_id, (*c).to_string())).collect()
    }

    #[test]
    fn four_different_codes_with_one_prefix_are_a_counterfeit_batch() {
        let mut seen = codes(1, &["FAKE01AAAA", "FAKE01BBBB", "FAKE01CCCC", "FAKE01DDDD", "ZZZZZZ1"]);
        let found = counterfeit_batches(&seen);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].subject, "prefix:FAKE01");
        // The same prefix at another gate is that gate's own count.
        seen.extend(codes(2, &["FAKE01EEEE"]));
        assert_eq!(counterfeit_batches(&seen).len(), 1);
    }

    #[test]
    fn one_code_tried_again_and_again_or_short_codes_are_no_batch() {
        assert!(counterfeit_batches(&codes(1, &["FAKE01AAAA"; 9])).is_empty());
        assert!(counterfeit_batches(&codes(1, &["FAKE0", "FAKE0", "FAKE", "FAK"])).is_empty());
        assert!(counterfeit_batches(&codes(1, &["FAKE01A", "FAKE01B", "FAKE01C"])).is_empty());
    }

    #[test]
    fn a_ticket_presented_three_times_while_inside_is_passing() {
        let seen = |times| Presentations {
            gate_id: 1,
            ticket_id: 42,
            times,
        };
        assert!(ticket_passing(seen(2)).is_none());
        assert_eq!(ticket_passing(seen(3)).unwrap().subject, "ticket:42");
    }

    fn device(last_seen: Option<i64>, battery: Option<i32>) -> DeviceState {
        DeviceState {
            device_id: 7,
            gate_id: 1,
            name: "Scanner 7".into(),
            last_seen,
            battery,
        }
    }

    #[test]
    fn a_device_is_silent_only_while_its_gate_is_busy() {
        let quiet_since = Some(NOW - SILENT_AFTER_MS);
        assert!(device_silent(&device(quiet_since, None), BUSY_GATE_SCANS, NOW).is_some());
        assert!(device_silent(&device(quiet_since, None), BUSY_GATE_SCANS - 1, NOW).is_none());
        assert!(device_silent(&device(Some(NOW - 1_000), None), 100, NOW).is_none());
        assert!(
            device_silent(&device(None, None), 100, NOW).is_none(),
            "never seen is not gone silent"
        );
    }

    #[test]
    fn a_battery_under_fifteen_percent_alerts_and_fifteen_does_not() {
        let seen = Some(NOW - 1_000);
        assert!(low_battery(&device(seen, Some(14)), NOW).is_some());
        assert!(low_battery(&device(seen, Some(15)), NOW).is_none());
        assert!(low_battery(&device(seen, None), NOW).is_none());
        assert!(low_battery(&device(Some(NOW - BATTERY_REPORT_MS - 1), Some(5)), NOW).is_none());
    }
}
