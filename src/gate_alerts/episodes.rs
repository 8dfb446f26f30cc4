//! An alert's life: opened when its condition is first found, kept (and its detail
//! refreshed) while it holds, closed once it has not held for `CLEAR_AFTER_MS`. The
//! plan is a plain function; applying it is conditional writes, so two instances
//! evaluating the same event open and close each episode once (the partial unique
//! index `gate_alerts_one_open` refuses a second open row).

use diesel::prelude::*;

use super::model::{AlertKind, Finding};
use crate::db::schema::gate_alerts;
use crate::db::{DbConnection, Tenant};

/// An alert closes once its condition has not been found for this long.
pub const CLEAR_AFTER_MS: i64 = 60_000;

/// An open episode as the plan needs it.
#[derive(Clone, Debug, PartialEq, Eq, Queryable)]
pub struct Episode {
    pub id: i64,
    pub kind: AlertKind,
    pub gate_id: i64,
    pub subject: String,
    pub last_seen_at: i64,
    pub detail: String,
}

/// What one evaluation changes.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan<'a> {
    pub open: Vec<&'a Finding>,
    /// Episodes that still hold: (id, detail now).
    pub keep: Vec<(i64, &'a str)>,
    pub close: Vec<i64>,
}

impl Episode {
    fn is(&self, finding: &Finding) -> bool {
        self.kind == finding.kind && self.gate_id == finding.gate_id && self.subject == finding.subject
    }
}

pub fn plan<'a>(open: &[Episode], findings: &'a [Finding], now: i64) -> Plan<'a> {
    let mut plan = Plan::default();
    for finding in findings {
        match open.iter().find(|episode| episode.is(finding)) {
            Some(episode) => plan.keep.push((episode.id, &finding.detail)),
            None => plan.open.push(finding),
        }
    }
    plan.close = open
        .iter()
        .filter(|episode| !findings.iter().any(|f| episode.is(f)))
        .filter(|episode| now - episode.last_seen_at >= CLEAR_AFTER_MS)
        .map(|episode| episode.id)
        .collect();
    plan
}

/// Evaluates the findings against the event's open episodes; whether anything a screen
/// shows changed (opened, closed, or a detail that reads differently now).
pub fn apply(
    conn: &mut DbConnection,
    tenant: &Tenant,
    event_id: i64,
    findings: &[Finding],
    now: i64,
) -> QueryResult<bool> {
    let org = tenant.organization_id();
    let open: Vec<Episode> = gate_alerts::table
        .filter(gate_alerts::organization_id.eq(org))
        .filter(gate_alerts::event_id.eq(event_id))
        .filter(gate_alerts::closed_at.is_null())
        .select((
            gate_alerts::id,
            gate_alerts::kind,
            gate_alerts::gate_id,
            gate_alerts::subject,
            gate_alerts::last_seen_at,
            gate_alerts::detail,
        ))
        .load(conn)?;
    let plan = plan(&open, findings, now);
    let mut changed = false;
    for finding in plan.open {
        let row = (
            gate_alerts::organization_id.eq(org),
            gate_alerts::event_id.eq(event_id),
            gate_alerts::gate_id.eq(finding.gate_id),
            gate_alerts::device_id.eq(finding.device_id),
            gate_alerts::kind.eq(finding.kind),
            gate_alerts::subject.eq(&finding.subject),
            gate_alerts::started_at.eq(now),
            gate_alerts::last_seen_at.eq(now),
            gate_alerts::detail.eq(&finding.detail),
        );
        let inserted = crate::with_backend!(conn, |c| diesel::insert_into(gate_alerts::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(c))?;
        changed |= inserted == 1;
    }
    for (id, detail) in plan.keep {
        changed |= open.iter().any(|e| e.id == id && e.detail != detail);
        diesel::update(
            gate_alerts::table
                .filter(gate_alerts::organization_id.eq(org))
                .filter(gate_alerts::id.eq(id)),
        )
        .set((gate_alerts::last_seen_at.eq(now), gate_alerts::detail.eq(detail)))
        .execute(conn)?;
    }
    for id in plan.close {
        let closed = diesel::update(
            gate_alerts::table
                .filter(gate_alerts::organization_id.eq(org))
                .filter(gate_alerts::id.eq(id))
                .filter(gate_alerts::closed_at.is_null()),
        )
        .set(gate_alerts::closed_at.eq(now))
        .execute(conn)?;
        changed |= closed == 1;
    }
    Ok(changed)
}

/// Closes the event's open alerts and opens `finding` as its one open alert, at `now`,
/// whatever the rules would find: for fixtures that need a given alert on screen (the
/// cost guards' gate-alert renders), not for the detector, which goes through `apply`.
pub fn replace_open_alerts(
    conn: &mut DbConnection,
    tenant: &Tenant,
    event_id: i64,
    finding: &Finding,
    now: i64,
) -> QueryResult<()> {
    let org = tenant.organization_id();
    diesel::update(
        gate_alerts::table
            .filter(gate_alerts::organization_id.eq(org))
            .filter(gate_alerts::event_id.eq(event_id))
            .filter(gate_alerts::closed_at.is_null()),
    )
    .set(gate_alerts::closed_at.eq(now))
    .execute(conn)?;
    let row = (
        gate_alerts::organization_id.eq(org),
        gate_alerts::event_id.eq(event_id),
        gate_alerts::gate_id.eq(finding.gate_id),
        gate_alerts::device_id.eq(finding.device_id),
        gate_alerts::kind.eq(finding.kind),
        gate_alerts::subject.eq(&finding.subject),
        gate_alerts::started_at.eq(now),
        gate_alerts::last_seen_at.eq(now),
        gate_alerts::detail.eq(&finding.detail),
    );
    crate::with_backend!(conn, |c| diesel::insert_into(gate_alerts::table).values(row).execute(c))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(kind: AlertKind, subject: &str, detail: &str) -> Finding {
        Finding {
            kind,
            gate_id: 1,
            device_id: None,
            subject: subject.into(),
            detail: detail.into(),
        }
    }

    fn episode(id: i64, kind: AlertKind, subject: &str, last_seen_at: i64) -> Episode {
        Episode {
            id,
            kind,
            gate_id: 1,
            subject: subject.into(),
            last_seen_at,
            detail: "before".into(),
        }
    }

    #[test]
    fn a_new_condition_opens_one_that_holds_is_kept_and_one_cleared_long_enough_closes() {
        let now = 1_000_000;
        let open = [
            episode(1, AlertKind::InvalidSpike, "", now - 5_000),
            episode(2, AlertKind::LowBattery, "device:3", now - CLEAR_AFTER_MS),
            episode(3, AlertKind::LowBattery, "device:4", now - CLEAR_AFTER_MS + 1),
        ];
        let found = [
            finding(AlertKind::InvalidSpike, "", "now"),
            finding(AlertKind::CounterfeitBatch, "prefix:FAKE01", "new"),
        ];
        let plan = plan(&open, &found, now);
        assert_eq!(plan.open, vec![&found[1]]);
        assert_eq!(plan.keep, vec![(1, "now")]);
        assert_eq!(plan.close, vec![2], "device:4 cleared only moments ago: still open");
    }

    #[test]
    fn the_same_kind_at_another_subject_is_another_episode() {
        let open = [episode(1, AlertKind::TicketPassing, "ticket:1", 0)];
        let found = [finding(AlertKind::TicketPassing, "ticket:2", "x")];
        let plan = plan(&open, &found, 10);
        assert_eq!(plan.open.len(), 1);
        assert!(plan.close.is_empty());
    }
}
