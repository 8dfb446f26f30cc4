//! The bulk-seeded database the plans are read on: a season of past events' scans
//! besides the live one's, and the statistics written as the app writes them.

use diesel::prelude::*;
use voelgoed::db::schema::{orders, tickets, users};
use voelgoed::db::{self, DbConnection, Tenant};
use voelgoed::orders::list::{find_orders, Cursor, OrderFilter, SearchText, PAGE_ROWS};
use voelgoed::orders::{OrderStatus, TicketStatus};
use voelgoed::scanning::{Direction, GateDevice, ScanAttempt};

use super::*;

/// What an order search looks for.
#[derive(Clone, Copy)]
pub(super) enum Searched {
    Name,
    Code,
    Short,
}

/// What the guard runs its queries for: the seeded organisation's busiest event.
pub(super) struct Seeded {
    tenant: Tenant,
    event: voelgoed::events::Event,
    device: GateDevice,
    codes: Vec<String>,
    order_sample: (String, String, String, i64, i64),
}

impl Seeded {
    pub(super) fn find(conn: &mut DbConnection) -> Self {
        let org: i64 = users::table
            .filter(users::email.eq("owner@seed-1.test"))
            .select(users::organization_id)
            .first(conn)
            .unwrap();
        let tenant = Tenant::authenticated(org);
        let event_id: i64 = orders::table
            .filter(orders::organization_id.eq(org))
            .group_by(orders::event_id)
            .order(diesel::dsl::count_star().desc())
            .select(orders::event_id)
            .first(conn)
            .unwrap();
        let event = voelgoed::events::queries::find_event(conn, &tenant, event_id).unwrap();
        let gate_id = voelgoed::provisioning::find_or_create_gate(conn, &tenant, event_id, "North").unwrap();
        let (device_id, _) =
            voelgoed::provisioning::create_device(conn, &tenant, event_id, gate_id, "North scanner").unwrap();
        let codes = tickets::table
            .filter(tickets::event_id.eq(event_id))
            .filter(tickets::status.eq(TicketStatus::Valid))
            .order(tickets::id)
            .select(tickets::code)
            .limit(6_000)
            .load(conn)
            .unwrap();
        let order_sample = orders::table
            .filter(orders::organization_id.eq(org))
            .filter(orders::id.ge(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                "(SELECT MIN(id) + 5000 FROM orders)",
            )))
            .select((
                orders::code,
                orders::buyer_email,
                orders::buyer_name,
                orders::created_at,
                orders::id,
            ))
            .first(conn)
            .unwrap();
        Self {
            tenant,
            event,
            device: GateDevice {
                device_id,
                gate_id,
                event_id,
            },
            codes,
            order_sample,
        }
    }

    pub(super) fn attempt(&self, id: &str, code: &str, direction: Direction) -> ScanAttempt {
        ScanAttempt {
            device_scan_id: id.to_owned(),
            ticket_code: code.to_owned(),
            direction,
            scanned_at: db::now_ms(),
        }
    }

    /// 5,000 people in through ten gates, committed in batches of 500: the scans table
    /// and the tickets inside are part of what the statistics see.
    pub(super) fn record_some_scans(&self, conn: &mut DbConnection) {
        let attempts: Vec<ScanAttempt> = self.codes[..5_000]
            .iter()
            .enumerate()
            .map(|(n, code)| self.attempt(&format!("seed-{n}"), code, Direction::In))
            .collect();
        for (n, batch) in attempts.chunks(500).enumerate() {
            let device = match n {
                0 => self.device,
                _ => another_device(conn, &self.tenant, self.event.id, n),
            };
            conn.transaction(|c| voelgoed::scanning::record_batch(c, &self.tenant, device, batch))
                .unwrap();
        }
    }

    /// Past events' scans, weeks old, sixteen times as many as this event's: the share
    /// of the table a live event's queries read in a season's database, which is what
    /// PostgreSQL's custom plans weigh.
    pub(super) fn record_history(&self, conn: &mut DbConnection) {
        diesel::sql_query(
            "WITH RECURSIVE copies(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM copies WHERE n < 8) \
             INSERT INTO scans (organization_id, event_id, device_scan_id, ticket_code, ticket_id, gate_id, \
             device_id, direction, scanned_at, received_at, result, reason) \
             SELECT s.organization_id, e.id, s.device_scan_id || '-past-' || e.id || '-' || copies.n, s.ticket_code, \
             NULL, s.gate_id, s.device_id, s.direction, s.scanned_at - CAST(86400000 AS BIGINT) * (30 + copies.n), \
             s.received_at - CAST(86400000 AS BIGINT) * (30 + copies.n), s.result, s.reason \
             FROM scans s JOIN events e ON e.organization_id = s.organization_id AND e.id <> s.event_id, copies",
        )
        .execute(conn)
        .unwrap();
    }

    /// A short batch, rolled back: a scan id sent before, new people in, someone already
    /// inside (refused: where was he let in?) and someone going out.
    pub(super) fn short_scan_decision(&self, conn: &mut DbConnection) -> Vec<String> {
        let attempts = vec![
            self.attempt("seed-3", &self.codes[3], Direction::In),
            self.attempt("new-1", &self.codes[5_500], Direction::In),
            self.attempt("new-2", &self.codes[5_501], Direction::In),
            self.attempt("new-3", &self.codes[10], Direction::In),
            self.attempt("new-4", &self.codes[11], Direction::Out),
            self.attempt("new-5", "VG-NO-SUCH-TICKET", Direction::In),
        ];
        self.decide_rolled_back(conn, &attempts)
    }

    /// The same kinds of scan in a batch long enough to travel as JSON rows.
    pub(super) fn long_scan_decision(&self, conn: &mut DbConnection) -> Vec<String> {
        let mut attempts = vec![
            self.attempt("seed-3", &self.codes[3], Direction::In),
            self.attempt("long-dup", &self.codes[50], Direction::In),
            self.attempt("long-unknown", "VG-NO-SUCH-TICKET", Direction::In),
        ];
        for n in 0..20 {
            attempts.push(self.attempt(&format!("long-in-{n}"), &self.codes[5_600 + n], Direction::In));
            attempts.push(self.attempt(&format!("long-out-{n}"), &self.codes[100 + n], Direction::Out));
        }
        self.decide_rolled_back(conn, &attempts)
    }

    /// A writer group: three devices at three gates, a few scans each (a new entry, one
    /// sent before, someone already inside, someone going out), decided together.
    pub(super) fn group_scan_decision(&self, conn: &mut DbConnection) -> Vec<String> {
        let (second, third) = (
            another_device(conn, &self.tenant, self.event.id, 40),
            another_device(conn, &self.tenant, self.event.id, 41),
        );
        let first_scans = [
            self.attempt("seed-3", &self.codes[3], Direction::In),
            self.attempt("group-1", &self.codes[5_700], Direction::In),
        ];
        let second_scans = [
            self.attempt("group-2", &self.codes[20], Direction::In),
            self.attempt("group-3", &self.codes[5_701], Direction::In),
        ];
        let third_scans = [self.attempt("group-4", &self.codes[21], Direction::Out)];
        let batch = |device, attempts| voelgoed::scanning::DeviceBatch {
            tenant: &self.tenant,
            device,
            attempts,
        };
        let group = [
            batch(self.device, &first_scans[..]),
            batch(second, &second_scans[..]),
            batch(third, &third_scans[..]),
        ];
        capture(conn, |c| {
            let _ = c.transaction(|c| {
                voelgoed::scanning::record_group(c, &group)?;
                Err::<(), _>(diesel::result::Error::RollbackTransaction)
            });
        })
    }

    pub(super) fn decide_rolled_back(&self, conn: &mut DbConnection, attempts: &[ScanAttempt]) -> Vec<String> {
        capture(conn, |c| {
            let _ = c.transaction(|c| {
                voelgoed::scanning::record_batch(c, &self.tenant, self.device, attempts)?;
                Err::<(), _>(diesel::result::Error::RollbackTransaction)
            });
        })
    }

    pub(super) fn dashboard(&self, conn: &mut DbConnection) -> Vec<String> {
        capture(conn, |c| {
            let counts = voelgoed::scanning::EventCounts {
                occupancy: 500,
                ..Default::default()
            };
            voelgoed::dashboard::metrics::compute(c, &self.tenant, &self.event, &counts, db::now_ms()).unwrap();
        })
    }

    /// One round of the detector: which events are live, and this one's findings.
    pub(super) fn alert_detector(&self, conn: &mut DbConnection) -> Vec<String> {
        capture(conn, |c| {
            let now = db::now_ms();
            voelgoed::gate_alerts::live_events(c, now).unwrap();
            voelgoed::gate_alerts::findings(c, &self.tenant, self.event.id, now).unwrap();
        })
    }

    /// A live event's card: tickets sold today and its open alerts.
    pub(super) fn overview(&self, conn: &mut DbConnection) -> Vec<String> {
        capture(conn, |c| {
            let zone = *self.event.timezone;
            voelgoed::overview::sold_today(c, &self.tenant, self.event.id, &zone, db::now_ms()).unwrap();
            voelgoed::gate_alerts::open_alerts(c, &self.tenant, &[self.event.id]).unwrap();
        })
    }

    pub(super) fn arrivals(&self, conn: &mut DbConnection) -> Vec<String> {
        capture(conn, |c| {
            voelgoed::arrivals::load_arrivals(c, &self.tenant, &self.event, db::now_ms(), 500).unwrap();
        })
    }

    /// The page query of each filter, labelled with a comment so each can be named.
    pub(super) fn order_list(&self, conn: &mut DbConnection) -> Vec<String> {
        let (_, _, _, created_at, id) = self.order_sample;
        let event = Some(self.event.id);
        // A rare status, as one filters for refunds: the status index's case.
        let refunded = Some(OrderStatus::Refunded);
        let cases = [
            ("none", OrderFilter::default(), None),
            (
                "status",
                OrderFilter {
                    status: refunded,
                    ..Default::default()
                },
                None,
            ),
            (
                "event",
                OrderFilter {
                    event_id: event,
                    ..Default::default()
                },
                None,
            ),
            (
                "event and status",
                OrderFilter {
                    event_id: event,
                    status: Some(OrderStatus::Refunded),
                    ..Default::default()
                },
                None,
            ),
            ("cursor", OrderFilter::default(), Some(Cursor { created_at, id })),
        ];
        let mut statements = Vec::new();
        for (label, filter, after) in cases {
            let captured = capture(conn, |c| {
                find_orders(c, &self.tenant, &filter, after, PAGE_ROWS).unwrap();
            });
            for sql in captured {
                match sql.contains("LIMIT") && unquoted(&sql).contains("FROM orders") {
                    true => {
                        let (query, binds) = sql.split_once(" -- binds: ").unwrap_or((&sql, "[]"));
                        statements.push(format!("{query} /* list: {label} */ -- binds: {binds}"));
                    }
                    false => statements.push(sql),
                }
            }
        }
        statements
    }

    /// A search by a word of a buyer's name (the text index and the typo dictionary), of an order code (its prefix range too) or by two characters (the
    /// prefix ranges of name, e-mail and code).
    pub(super) fn order_search(&self, conn: &mut DbConnection, searched: Searched) -> Vec<String> {
        let (code, name) = (&self.order_sample.0, &self.order_sample.2);
        let text: String = match searched {
            // The name's longest word (4 letters or more in every seeded name), so the
            // typo dictionary is looked up too.
            Searched::Name => name
                .split(|c: char| !c.is_alphabetic())
                .max_by_key(|w| w.chars().count())
                .unwrap_or_default()
                .to_owned(),
            Searched::Code => code.chars().take(7).collect(),
            Searched::Short => code.chars().skip(3).take(2).collect(),
        };
        let filter = OrderFilter {
            text: Some(SearchText::new(&text)),
            ..Default::default()
        };
        capture(conn, |c| {
            find_orders(c, &self.tenant, &filter, None, PAGE_ROWS).unwrap();
        })
        .into_iter()
        .filter(|sql| sql.contains("LIMIT") || sql.contains("order_search_words"))
        .collect()
    }
}

/// A scanning device at gate `n` of the event.
pub(super) fn another_device(conn: &mut DbConnection, tenant: &Tenant, event_id: i64, n: usize) -> GateDevice {
    let gate_id = voelgoed::provisioning::find_or_create_gate(conn, tenant, event_id, &format!("Gate {n}")).unwrap();
    let (device_id, _) =
        voelgoed::provisioning::create_device(conn, tenant, event_id, gate_id, &format!("Gate {n} scanner")).unwrap();
    GateDevice {
        device_id,
        gate_id,
        event_id,
    }
}

/// Statistics as the app has them: SQLite's written at start-up by the app's own call,
/// PostgreSQL's by (auto)vacuum's ANALYZE.
pub(super) fn write_statistics(conn: &mut DbConnection) {
    match conn {
        DbConnection::Sqlite(_) => db::refresh_planner_statistics(conn).unwrap(),
        DbConnection::Postgresql(pg) => {
            diesel::sql_query("VACUUM ANALYZE").execute(pg).unwrap();
        }
    }
}
