//! Guards against plan flips: on a bulk-seeded database with planner statistics written
//! the way the app writes them (SQLite: `db::refresh_planner_statistics` at start-up;
//! PostgreSQL: what autovacuum's ANALYZE keeps), the hot queries use their intended
//! indexes and never scan a big table whole. The SQL is what the library itself runs:
//! each statement is captured (diesel instrumentation) while the real functions run —
//! the scan decision, the dashboard metrics, the order list and the order search — and
//! explained: `EXPLAIN QUERY PLAN` on SQLite; on PostgreSQL both plans of the prepared
//! statement (`PREPARE`, `EXPLAIN EXECUTE`): the custom one for the very values the app
//! bound (`plan_cache_mode = force_custom_plan`: what a fresh connection's first runs
//! get), which must use the intended indexes, and the generic one, which serves any
//! values and must not scan a big table whole. The database holds a season of past
//! events' scans besides the live one's, so the values weigh as they would in service. Covered: the scan decision, the dashboard metrics, the
//! arrivals, the gate-alert detector, the overview's cards, the order list and the
//! order search. A failure prints the plan.

use std::sync::{Arc, Mutex};

use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel::prelude::*;
use diesel::sql_types::Text;
use voelgoed::db::schema::{orders, tickets, users};
use voelgoed::db::{self, DbConnection, Tenant};
use voelgoed::orders::list::{find_orders, Cursor, OrderFilter, SearchText, PAGE_ROWS};
use voelgoed::orders::{OrderStatus, TicketStatus};
use voelgoed::scanning::{Direction, GateDevice, ScanAttempt};

use crate::helpers::{fresh_postgres, spawn_app, spawn_on, TestApp};

/// Tables whose whole scan would cost in proportion to the organisation's history.
/// (Refunds are a few per hundred orders: walking an organisation's refunds whole is
/// the refunds sum's intended plan, by index or, when it holds most of them, by scan.)
const BIG_TABLES: [&str; 3] = ["orders", "tickets", "scans"];

/// An index a query must use on a table, by its name on each backend; `PK` is the
/// table's own key (SQLite's rowid), `ANY` any way of reading the table (only its
/// place in the join order matters); `a|b` either index.
#[derive(Clone, Copy)]
struct Uses {
    table: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const PK: &str = "PRIMARY KEY";
/// A table of one backend only: no requirement on the other.
const ELSEWHERE: &str = "not on this backend";
const ANY: &str = "any access";

const fn uses(table: &'static str, sqlite: &'static str, postgres: &'static str) -> Uses {
    Uses {
        table,
        sqlite,
        postgres,
    }
}

/// A captured statement that must be planned a certain way: the statements whose SQL
/// contains `marker` (quotes removed), and the indexes they use, outer loop first.
struct Expected {
    what: &'static str,
    marker: &'static str,
    uses: &'static [Uses],
}

#[tokio::test]
async fn hot_queries_keep_their_indexes_on_sqlite() {
    let app = spawn_app().await;
    // One organisation holding every order: the shape in which sampled statistics made
    // the dashboard's refunds walk the event's orders (issue: 23 ms against 2.9 ms).
    app.bulk_seed(60_000, 1).await;
    guard_plans(&app).await;
}

#[tokio::test]
async fn hot_queries_keep_their_indexes_on_postgres() {
    let dir = tempfile::tempdir().expect("dir");
    let app = spawn_on(fresh_postgres("voelgoed_query_plans"), |_| {}, dir).await;
    app.bulk_seed(30_000, 2).await;
    guard_plans(&app).await;
}

async fn guard_plans(app: &TestApp) {
    let pool = db::connect(&app.services.settings.database).expect("pool");
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.get().expect("connection");
        let seeded = Seeded::find(&mut conn);
        seeded.record_some_scans(&mut conn);
        seeded.record_history(&mut conn);
        write_statistics(&mut conn);
        let mut failures = Vec::new();
        for (what, statements, expected) in [
            (
                "a short scan batch",
                seeded.short_scan_decision(&mut conn),
                SHORT_SCAN_BATCH,
            ),
            (
                "a long scan batch",
                seeded.long_scan_decision(&mut conn),
                LONG_SCAN_BATCH,
            ),
            ("the dashboard metrics", seeded.dashboard(&mut conn), DASHBOARD),
            ("the arrivals", seeded.arrivals(&mut conn), ARRIVALS),
            ("the gate-alert detector", seeded.alert_detector(&mut conn), &[]),
            ("the overview's cards", seeded.overview(&mut conn), &[]),
            ("the order list", seeded.order_list(&mut conn), ORDER_LIST),
            (
                "the order search",
                seeded.order_search(&mut conn, Searched::Name),
                ORDER_SEARCH,
            ),
            (
                "an order-code search",
                seeded.order_search(&mut conn, Searched::Code),
                ORDER_CODE_SEARCH,
            ),
            (
                "a short order search",
                seeded.order_search(&mut conn, Searched::Short),
                SHORT_ORDER_SEARCH,
            ),
        ] {
            failures.extend(check(&mut conn, what, &statements, expected));
        }
        assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    })
    .await
    .expect("plan task");
}

const EARLIER_ANSWERS: Expected = Expected {
    what: "earlier answers of the batch's scan ids",
    marker: "FROM scans",
    uses: &[uses("scans", "scans_device_scan", "scans_device_scan")],
};
const TICKETS_BY_CODE: Expected = Expected {
    what: "the batch's tickets by code",
    marker: "FROM tickets WHERE tickets.code",
    uses: &[uses("tickets", "sqlite_autoindex_tickets_1", "tickets_code_key")],
};
const LETTING_OUT: Expected = Expected {
    what: "letting tickets out",
    marker: "UPDATE tickets SET inside_since = NULL",
    uses: &[uses("tickets", PK, "tickets_pkey")],
};
const WHERE_ADMITTED: Expected = Expected {
    what: "where refused tickets were let in",
    marker: "LEFT OUTER JOIN gates",
    uses: &[uses("tickets", PK, "tickets_pkey")],
};

/// Admitting the batch's tickets, found by the statement's own text.
const fn admitting(marker: &'static str) -> Expected {
    Expected {
        what: "admitting the tickets",
        marker,
        uses: TICKETS_BY_KEY,
    }
}

const TICKETS_BY_KEY: &[Uses] = &[uses("tickets", PK, "tickets_pkey")];

/// A batch of a few scans, each value its own bind.
const SHORT_SCAN_BATCH: &[Expected] = &[
    EARLIER_ANSWERS,
    TICKETS_BY_CODE,
    admitting("SET inside_since = CASE id"),
    LETTING_OUT,
    WHERE_ADMITTED,
];

/// A batch that travels as JSON rows (`db::JSON_ROWS_FROM` scans or more).
const LONG_SCAN_BATCH: &[Expected] = &[
    EARLIER_ANSWERS,
    TICKETS_BY_CODE,
    admitting("tickets.inside_since IS NULL RETURNING"),
    LETTING_OUT,
    WHERE_ADMITTED,
];

const DASHBOARD: &[Expected] = &[
    Expected {
        what: "the hourly sales rollup",
        marker: "FROM ticket_sales_hourly",
        uses: &[uses(
            "ticket_sales_hourly",
            "sqlite_autoindex_ticket_sales_hourly_1",
            "ticket_sales_hourly_pkey",
        )],
    },
    Expected {
        what: "refunded tickets of a type",
        marker: "tickets.ticket_type_id =",
        uses: &[uses("tickets", "tickets_org_event_type", "tickets_org_event_type")],
    },
    Expected {
        what: "refunded amount (the organisation's refunds, then their orders by key)",
        marker: "SUMrefunds.amount",
        uses: &[
            uses("refunds", ANY, ANY),
            uses("orders", PK, "orders_pkey|orders_org_id"),
        ],
    },
    Expected {
        what: "tickets sold in an hour",
        marker: "tickets.created_at >=",
        uses: &[uses(
            "tickets",
            "tickets_org_event_created",
            "tickets_org_event_created",
        )],
    },
];

/// The arrivals' redraw: the scans grouped per minute from the covering index alone, and
/// the tickets ever let in: the event's valid entries from the same index, each ticket
/// then found by its key.
const ARRIVALS: &[Expected] = &[
    Expected {
        what: "valid scans per minute, gate and direction",
        marker: "scanned_at / 60000",
        uses: &[uses("scans", "scans_org_event_arrivals", "scans_org_event_arrivals")],
    },
    Expected {
        what: "the tickets ever let in, per ticket type",
        marker: "AS admitted",
        uses: &[
            // PostgreSQL, for values where half the tickets were let in, hashes the
            // event's valid tickets (its own index) against the entries instead: reading
            // those is then no dearer than a lookup per entry.
            uses("tickets", PK, "tickets_pkey|tickets_org_event_created"),
            uses(
                "scans",
                "scans_org_event_arrivals",
                "scans_org_event_arrivals|scans_org_event_ticket",
            ),
        ],
    },
];

const ORDER_LIST: &[Expected] = &[
    Expected {
        what: "a page without filters",
        marker: "/* list: none */",
        uses: &[uses("orders", "orders_org_created", "orders_org_created")],
    },
    Expected {
        what: "a page of one status",
        marker: "/* list: status */",
        uses: &[uses("orders", "orders_org_status_created", "orders_org_status_created")],
    },
    Expected {
        what: "a page of one event",
        marker: "/* list: event */",
        uses: &[uses("orders", "orders_org_event_created", "orders_org_event_created")],
    },
    Expected {
        what: "a page of one event and status",
        marker: "/* list: event and status */",
        uses: &[uses(
            "orders",
            "orders_org_event_status_created",
            "orders_org_event_status_created",
        )],
    },
    Expected {
        what: "a deep page by cursor",
        marker: "/* list: cursor */",
        uses: &[uses("orders", "orders_org_created", "orders_org_created")],
    },
    Expected {
        what: "the ticket counts of a page",
        marker: "GROUP BY tickets.order_id",
        uses: &[uses("tickets", "tickets_order", "tickets_order")],
    },
];

const ORDER_SEARCH: &[Expected] = &[
    Expected {
        what: "free text: the buyer from the text index, newest first, one page",
        marker: "/* order search: buyer */",
        uses: &[
            // SQLite: FTS5 drives (its rowid is the page order), each match joined to its
            // order by (organization_id, created_at). PostgreSQL: the trigram index, or
            // the organisation's orders newest first when the text is common.
            uses("order_search", ANY, ELSEWHERE),
            uses("orders", "orders_org_created", "orders_search|orders_org_created"),
        ],
    },
    // The dictionary is a small per-organisation table read by its primary key
    // (SQLite: `WITHOUT ROWID`, so the plan says `USING PRIMARY KEY`).
    Expected {
        what: "free text: the typo dictionary",
        marker: "FROM order_search_words",
        uses: &[uses("order_search_words", ANY, ANY)],
    },
];

/// The start of an order code: the code's prefix range (the buyer is searched too).
const ORDER_CODE_SEARCH: &[Expected] = &[Expected {
    what: "free text: the order-code prefix",
    marker: "orders.code >=",
    uses: &[uses("orders", "orders_org_code", "orders_org_code")],
}];

/// Short free text (one or two characters): the union of the three prefix ranges.
const SHORT_ORDER_SEARCH: &[Expected] = &[Expected {
    what: "short free text: the union of the three prefix ranges",
    marker: "FROM orders",
    uses: &[
        uses("orders", "orders_org_email", "orders_org_email"),
        uses("orders", "orders_org_name_lower", "orders_org_name_lower"),
        uses("orders", "orders_org_code", "orders_org_code"),
    ],
}];

/// What an order search looks for.
#[derive(Clone, Copy)]
enum Searched {
    Name,
    Code,
    Short,
}

/// What the guard runs its queries for: the seeded organisation's busiest event.
struct Seeded {
    tenant: Tenant,
    event: voelgoed::events::Event,
    device: GateDevice,
    codes: Vec<String>,
    order_sample: (String, String, String, i64, i64),
}

impl Seeded {
    fn find(conn: &mut DbConnection) -> Self {
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

    fn attempt(&self, id: &str, code: &str, direction: Direction) -> ScanAttempt {
        ScanAttempt {
            device_scan_id: id.to_owned(),
            ticket_code: code.to_owned(),
            direction,
            scanned_at: db::now_ms(),
        }
    }

    /// 5,000 people in through ten gates, committed in batches of 500: the scans table
    /// and the tickets inside are part of what the statistics see.
    fn record_some_scans(&self, conn: &mut DbConnection) {
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
    fn record_history(&self, conn: &mut DbConnection) {
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
    fn short_scan_decision(&self, conn: &mut DbConnection) -> Vec<String> {
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
    fn long_scan_decision(&self, conn: &mut DbConnection) -> Vec<String> {
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

    fn decide_rolled_back(&self, conn: &mut DbConnection, attempts: &[ScanAttempt]) -> Vec<String> {
        capture(conn, |c| {
            let _ = c.transaction(|c| {
                voelgoed::scanning::record_batch(c, &self.tenant, self.device, attempts)?;
                Err::<(), _>(diesel::result::Error::RollbackTransaction)
            });
        })
    }

    fn dashboard(&self, conn: &mut DbConnection) -> Vec<String> {
        capture(conn, |c| {
            voelgoed::dashboard::metrics::compute(c, &self.tenant, &self.event, 500, db::now_ms()).unwrap();
        })
    }

    /// One round of the detector: which events are live, and this one's findings.
    fn alert_detector(&self, conn: &mut DbConnection) -> Vec<String> {
        capture(conn, |c| {
            let now = db::now_ms();
            voelgoed::gate_alerts::live_events(c, now).unwrap();
            voelgoed::gate_alerts::findings(c, &self.tenant, self.event.id, now).unwrap();
        })
    }

    /// A live event's card: tickets sold today and its open alerts.
    fn overview(&self, conn: &mut DbConnection) -> Vec<String> {
        capture(conn, |c| {
            let zone = *self.event.timezone;
            voelgoed::overview::sold_today(c, &self.tenant, self.event.id, &zone, db::now_ms()).unwrap();
            voelgoed::gate_alerts::open_alerts(c, &self.tenant, &[self.event.id]).unwrap();
        })
    }

    fn arrivals(&self, conn: &mut DbConnection) -> Vec<String> {
        capture(conn, |c| {
            voelgoed::arrivals::load_arrivals(c, &self.tenant, &self.event, db::now_ms(), 500).unwrap();
        })
    }

    /// The page query of each filter, labelled with a comment so each can be named.
    fn order_list(&self, conn: &mut DbConnection) -> Vec<String> {
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
    fn order_search(&self, conn: &mut DbConnection, searched: Searched) -> Vec<String> {
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
fn another_device(conn: &mut DbConnection, tenant: &Tenant, event_id: i64, n: usize) -> GateDevice {
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
fn write_statistics(conn: &mut DbConnection) {
    match conn {
        DbConnection::Sqlite(_) => db::refresh_planner_statistics(conn).unwrap(),
        DbConnection::Postgresql(pg) => {
            diesel::sql_query("VACUUM ANALYZE").execute(pg).unwrap();
        }
    }
}

/// Records the SQL of every statement a connection runs.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<String>>>);

impl Instrumentation for Recorder {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            // "SQL -- binds: [values]": the values are what PostgreSQL's plan is made for.
            self.0.lock().unwrap().push(query.to_string().trim().to_owned());
        }
    }
}

/// The reads and updates `work` runs on `conn` (not transaction control or inserts).
fn capture(conn: &mut DbConnection, work: impl FnOnce(&mut DbConnection)) -> Vec<String> {
    let recorder = Recorder::default();
    conn.set_instrumentation(recorder.clone());
    work(conn);
    conn.set_instrumentation(Recorder::default());
    let statements = recorder.0.lock().unwrap().clone();
    statements
        .into_iter()
        .filter(|sql| sql.starts_with("SELECT") || sql.starts_with("UPDATE"))
        .collect()
}

/// SQL without identifier quotes and parentheses, to find a statement by what it says.
fn unquoted(sql: &str) -> String {
    sql.replace(['`', '"', '(', ')'], "")
}

/// Every failure of `statements` against `expected`, each with its plan.
fn check(conn: &mut DbConnection, what: &str, statements: &[String], expected: &[Expected]) -> Vec<String> {
    let postgres = matches!(conn, DbConnection::Postgresql(_));
    let mut failures = Vec::new();
    for expectation in expected {
        if !statements.iter().any(|sql| unquoted(sql).contains(expectation.marker)) {
            failures.push(format!(
                "{what}: no statement for \"{}\" (marker {:?}) among:\n{}",
                expectation.what,
                expectation.marker,
                statements.join("\n")
            ));
        }
    }
    for sql in statements {
        // The plan for these very values (on PostgreSQL: what a fresh connection's
        // first runs get).
        let plan = plan_of(conn, sql, Plan::Custom);
        let shown = || format!("{sql}\nplan:\n    {}", plan.join("\n    "));
        println!("{what}: {}", shown());
        for table in BIG_TABLES {
            if plan.iter().any(|line| full_scan(line, table, postgres)) {
                failures.push(format!("{what}: a full scan of {table}:\n{}", shown()));
            }
        }
        if postgres {
            // The plan that serves any values, which a statement may settle on later.
            let generic = plan_of(conn, sql, Plan::Generic);
            for table in BIG_TABLES {
                if generic.iter().any(|line| full_scan(line, table, postgres)) {
                    let plan = generic.join("\n    ");
                    failures.push(format!(
                        "{what}: a full scan of {table} in the generic plan:\n{sql}\nplan:\n    {plan}"
                    ));
                }
            }
        }
        for expectation in expected.iter().filter(|e| unquoted(sql).contains(e.marker)) {
            let mut from = 0;
            for wanted in expectation.uses {
                let index = if postgres { wanted.postgres } else { wanted.sqlite };
                match plan
                    .iter()
                    .skip(from)
                    .position(|line| uses_index(line, wanted.table, index, postgres))
                {
                    Some(at) => from += at,
                    None => failures.push(format!(
                        "{what}, {}: expected {} through {index}{}:\n{}",
                        expectation.what,
                        wanted.table,
                        if expectation.uses.len() > 1 {
                            " (in this join order)"
                        } else {
                            ""
                        },
                        shown()
                    )),
                }
            }
        }
    }
    failures
}

fn full_scan(line: &str, table: &str, postgres: bool) -> bool {
    match postgres {
        true => line.contains(&format!("Seq Scan on {table} ")) || line.ends_with(&format!("Seq Scan on {table}")),
        false => {
            line.starts_with(&format!("SCAN {table}"))
                && (line.len() == 5 + table.len() || line[5 + table.len()..].starts_with(' '))
        }
    }
}

fn uses_index(line: &str, table: &str, index: &str, postgres: bool) -> bool {
    if index == ELSEWHERE {
        true
    } else if let Some((one, other)) = index.split_once('|') {
        uses_index(line, table, one, postgres) || uses_index(line, table, other, postgres)
    } else if index == ANY {
        let on_table = if postgres {
            format!(" on {table}")
        } else {
            format!(" {table}")
        };
        line.contains(&format!("{on_table} ")) || line.ends_with(&on_table)
    } else if postgres {
        line.contains(&format!(" using {index} on {table}")) || line.contains(&format!("Bitmap Index Scan on {index}"))
    } else if index == PK {
        line.starts_with(&format!("SEARCH {table} USING INTEGER PRIMARY KEY"))
    } else {
        line.starts_with(&format!("SEARCH {table} USING "))
            && (line.contains(&format!("INDEX {index} (")) || line.ends_with(&format!("INDEX {index}")))
    }
}

#[derive(QueryableByName)]
struct SqlitePlanLine {
    #[diesel(sql_type = Text)]
    detail: String,
}

#[derive(QueryableByName)]
struct PostgresPlanLine {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    line: String,
}

/// Which of PostgreSQL's plans of a prepared statement to explain.
#[derive(Clone, Copy, PartialEq)]
enum Plan {
    /// The one that serves any values: what a statement settles on after five runs.
    Generic,
    /// The one made for the values the app bound.
    Custom,
}

/// The plan of a captured statement ("SQL -- binds: [values]"), one line per step:
/// SQLite's for the statement; PostgreSQL's generic plan or its custom plan for the
/// bound values.
fn plan_of(conn: &mut DbConnection, captured: &str, which: Plan) -> Vec<String> {
    let (sql, binds) = captured.split_once(" -- binds: ").unwrap_or((captured, "[]"));
    let sql = sql.trim();
    match conn {
        DbConnection::Sqlite(sqlite) => diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
            .load::<SqlitePlanLine>(sqlite)
            .unwrap_or_else(|e| panic!("EXPLAIN QUERY PLAN {sql}: {e}"))
            .into_iter()
            .map(|l| l.detail)
            .collect(),
        DbConnection::Postgresql(pg) => {
            let values = match which {
                Plan::Custom => sql_literals(binds),
                Plan::Generic => vec!["NULL".to_owned(); sql_literals(binds).len()],
            };
            let mode = match which {
                Plan::Custom => "force_custom_plan",
                Plan::Generic => "force_generic_plan",
            };
            diesel::sql_query(format!("SET plan_cache_mode = {mode}"))
                .execute(pg)
                .unwrap();
            if diesel::sql_query(format!("PREPARE plan_guard AS {sql}"))
                .execute(pg)
                .is_err()
            {
                // Parameters PostgreSQL cannot type from their place (CASE … THEN $2)
                // are all BIGINT in the app's raw statements.
                let types = vec!["BIGINT"; values.len()].join(", ");
                diesel::sql_query(format!("PREPARE plan_guard ({types}) AS {sql}"))
                    .execute(pg)
                    .unwrap_or_else(|e| panic!("PREPARE {sql}: {e}"));
            }
            let args = match values.is_empty() {
                true => String::new(),
                false => format!("({})", values.join(", ")),
            };
            let plan = diesel::sql_query(format!("EXPLAIN EXECUTE plan_guard{args}"))
                .load::<PostgresPlanLine>(pg)
                .unwrap_or_else(|e| panic!("EXPLAIN EXECUTE {sql} {args}: {e}"));
            diesel::sql_query("DEALLOCATE plan_guard").execute(pg).unwrap();
            plan.into_iter().map(|l| l.line.trim().to_owned()).collect()
        }
    }
}

/// diesel's debug list of bound values (`[1, "a", Some(2), None, Valid, [3, 4]]`) as
/// SQL literals. Enum values print as their Rust names: stored as snake_case text.
fn sql_literals(binds: &str) -> Vec<String> {
    let inner = binds
        .trim()
        .strip_prefix('[')
        .and_then(|b| b.strip_suffix(']'))
        .unwrap_or("");
    top_level_items(inner).iter().map(|item| sql_literal(item)).collect()
}

/// The comma-separated items of a debug list, nested brackets and strings kept whole.
fn top_level_items(list: &str) -> Vec<String> {
    let (mut items, mut current, mut depth, mut in_string, mut escaped) = (Vec::new(), String::new(), 0, false, false);
    for c in list.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '[' | '(' if !in_string => depth += 1,
            ']' | ')' if !in_string => depth -= 1,
            ',' if !in_string && depth == 0 => {
                items.push(std::mem::take(&mut current).trim().to_owned());
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.trim().is_empty() {
        items.push(current.trim().to_owned());
    }
    items
}

fn sql_literal(value: &str) -> String {
    if value == "None" {
        "NULL".into()
    } else if let Some(inner) = value.strip_prefix("Some(").and_then(|v| v.strip_suffix(')')) {
        sql_literal(inner)
    } else if let Some(text) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        quoted(&unescaped(text))
    } else if let Some(list) = value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
        let items: Vec<String> = top_level_items(list).iter().map(|item| sql_literal(item)).collect();
        match items.is_empty() {
            true => "'{}'".into(),
            false => format!("ARRAY[{}]", items.join(", ")),
        }
    } else if value == "true" || value == "false" || value.parse::<f64>().is_ok() {
        value.to_owned()
    } else {
        quoted(&snake_case(value))
    }
}

fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A Rust debug string's text: `\"`, `\\`, `\n`, `\t`, `\r`, `\'` and `\u{…}` undone.
fn unescaped(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('u') => {
                let code: String = chars.by_ref().skip(1).take_while(|c| *c != '}').collect();
                out.extend(u32::from_str_radix(&code, 16).ok().and_then(char::from_u32));
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// `PartiallyRefunded` → `partially_refunded`.
fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.extend(c.to_lowercase());
    }
    out
}
