//! Least privilege, swept: every route of the route table (read from src/routes.rs, so
//! a route added without a row here fails) requested as anonymous, steward, supervisor,
//! finance, owner, and an owner of another organisation, with the exact status each
//! gets; and a supervisor's or steward's event pages of an event not theirs are 404.

use crate::helpers::route_table::routes_in_the_route_table;
use crate::helpers::{batch, csrf_token, scan, spawn_app, TestApp};

#[test]
fn the_route_table_is_read_completely() {
    let routes = routes_in_the_route_table();
    for expected in [
        ("GET", "/healthz"),
        ("GET", "/assets/{file}"),
        ("POST", "/events/{id}/kiosk-links/{link}/revoke"),
        ("POST", "/api/v1/scans"),
        ("GET", "/audit"),
    ] {
        assert!(
            routes.iter().any(|(m, p)| m == expected.0 && p == expected.1),
            "{expected:?} in {routes:#?}"
        );
    }
}

/// Anonymous; steward, supervisor, finance and owner of A; owner of B. The steward and
/// the supervisor of A run A's event.
type Expected = [u16; 6];

/// Every route and what each of the six gets. Ids in paths are organisation A's.
const MATRIX: &[(&str, &str, Expected)] = &[
    ("GET", "/", [303, 303, 303, 303, 303, 303]),
    ("GET", "/healthz", [200, 200, 200, 200, 200, 200]),
    ("GET", "/readyz", [200, 200, 200, 200, 200, 200]),
    // The tests ask from loopback, where the metrics are open to all.
    ("GET", "/metrics", [200, 200, 200, 200, 200, 200]),
    ("GET", "/assets/{file}", [200, 200, 200, 200, 200, 200]),
    ("GET", "/login", [200, 200, 200, 200, 200, 200]),
    // Without the sign-in form's own CSRF cookie.
    ("POST", "/login", [403, 403, 403, 403, 403, 403]),
    // The code step of two-factor sign-in takes only a session waiting for its code:
    // a full session is no such session.
    ("GET", "/login/code", [401, 401, 401, 401, 401, 401]),
    ("POST", "/login/code", [401, 401, 401, 401, 401, 401]),
    ("POST", "/logout", [401, 303, 303, 303, 303, 303]),
    ("POST", "/logout/everywhere", [401, 303, 303, 303, 303, 303]),
    ("GET", "/events", [401, 200, 200, 200, 200, 200]),
    // Everyone's own two-factor sign-in. The sweep's form names no code: a 400.
    ("GET", "/account/two-factor", [401, 200, 200, 200, 200, 200]),
    ("POST", "/account/two-factor", [401, 400, 400, 400, 400, 400]),
    ("POST", "/account/two-factor/disable", [401, 400, 400, 400, 400, 400]),
    // Each viewer's own live events (B streams its own).
    ("GET", "/sse/events/overview", [401, 200, 200, 200, 200, 200]),
    // The dashboard shows revenue: no steward.
    ("GET", "/events/{id}", [401, 403, 200, 200, 200, 404]),
    // The door: no finance.
    ("GET", "/events/{id}/scans", [401, 200, 200, 403, 200, 404]),
    // The door lookup (the sweep names no code: the form): not finance, who needs none.
    ("GET", "/events/{id}/door", [401, 200, 200, 403, 200, 404]),
    // Owners only. The sweep's form names no policy: a 400 for A's owner, after the
    // event is found.
    ("POST", "/events/{id}/entry-policy", [401, 403, 403, 403, 400, 404]),
    // Zones: everyone at the gates sees them; owners set them up (the sweep's form
    // names no zone: a 400, and no passage: the gate back to no zones); supervisors
    // and owners enter headcounts (the sweep's form names no number: a 400).
    ("GET", "/events/{id}/zones", [401, 200, 200, 403, 200, 404]),
    ("POST", "/events/{id}/zones", [401, 403, 403, 403, 400, 404]),
    ("POST", "/events/{id}/zones/{zone}", [401, 403, 403, 403, 400, 404]),
    (
        "POST",
        "/events/{id}/zones/{zone}/headcount",
        [401, 403, 400, 403, 400, 404],
    ),
    (
        "POST",
        "/events/{id}/gates/{gate}/passage",
        [401, 403, 403, 403, 303, 404],
    ),
    ("POST", "/events/{id}/zone-mismatch", [401, 403, 403, 403, 400, 404]),
    ("GET", "/events/{id}/kiosk-links", [401, 403, 200, 403, 200, 404]),
    ("POST", "/events/{id}/kiosk-links", [401, 403, 200, 403, 200, 404]),
    // The supervisor revokes the link; after that it is no longer there to revoke.
    (
        "POST",
        "/events/{id}/kiosk-links/{link}/revoke",
        [401, 403, 303, 403, 404, 404],
    ),
    // Owners and supervisors acknowledge; again is the same answer (idempotent).
    (
        "POST",
        "/events/{id}/alerts/{alert}/acknowledge",
        [401, 403, 303, 403, 303, 404],
    ),
    // Pairing a phone: owners and supervisors. The sweep's form names no gate: a 400
    // once the event is found.
    ("POST", "/events/{id}/pairings", [401, 403, 400, 403, 400, 404]),
    // The supervisor revokes the device; after that it is no longer there to revoke.
    (
        "POST",
        "/events/{id}/devices/{device}/revoke",
        [401, 403, 303, 403, 404, 404],
    ),
    // A pairing link's token is its whole capability; a kiosk's token is none.
    ("GET", "/pair/{token}", [404, 404, 404, 404, 404, 404]),
    ("POST", "/pair/{token}", [404, 404, 404, 404, 404, 404]),
    ("GET", "/scanner", [200, 200, 200, 200, 200, 200]),
    ("GET", "/scanner-sw.js", [200, 200, 200, 200, 200, 200]),
    ("GET", "/kiosk/{token}", [200, 200, 200, 200, 200, 200]),
    ("GET", "/kiosk/{token}/stream", [200, 200, 200, 200, 200, 200]),
    ("GET", "/sse/events/{id}/occupancy", [401, 403, 200, 200, 200, 404]),
    ("GET", "/sse/events/{id}/scans", [401, 200, 200, 403, 200, 404]),
    // Orders are money: no steward.
    ("GET", "/orders", [401, 403, 200, 200, 200, 200]),
    // The export holds every valid ticket code: owners and finance (B exports its own).
    ("GET", "/orders.csv", [401, 403, 403, 200, 200, 200]),
    ("GET", "/orders/{id}", [401, 403, 200, 200, 200, 404]),
    ("GET", "/orders/{id}/tickets", [401, 403, 200, 200, 200, 404]),
    ("GET", "/orders/{id}/refund", [401, 403, 403, 200, 200, 404]),
    // Finance refunds first; the owner's same form (same key) is the same refund.
    ("POST", "/orders/{id}/refund", [401, 403, 403, 303, 303, 404]),
    ("GET", "/orders/{id}/void", [401, 403, 403, 200, 200, 404]),
    // Finance voids first; the owner then finds nothing left to cancel.
    ("POST", "/orders/{id}/void", [401, 403, 403, 303, 409, 404]),
    // The others ask right after the supervisor: once a minute per order.
    (
        "POST",
        "/orders/{id}/resend-confirmation",
        [401, 403, 303, 429, 429, 404],
    ),
    ("GET", "/audit", [401, 403, 403, 403, 200, 200]),
    // The team is the owner's; the user in paths is one of A's (not an asker). The
    // sweep's form names no role or name: a 400 for both owners, read before any user;
    // B cannot reach A's user (the team tests post B a valid role: 404).
    ("GET", "/team", [401, 403, 403, 403, 200, 200]),
    ("POST", "/team", [401, 403, 403, 403, 400, 400]),
    ("POST", "/team/{id}/role", [401, 403, 403, 403, 400, 400]),
    ("POST", "/team/{id}/password", [401, 403, 403, 403, 200, 404]),
    ("POST", "/team/{id}/deactivate", [401, 403, 403, 403, 303, 404]),
    ("POST", "/team/{id}/reactivate", [401, 403, 403, 403, 303, 404]),
    // The organisation's two-factor policy (B sees its own); the sweep's form names no
    // choice: a 400 for both owners, nothing changed.
    ("GET", "/team/two-factor", [401, 403, 403, 403, 200, 200]),
    ("POST", "/team/two-factor", [401, 403, 403, 403, 400, 400]),
    // Bulk jobs: the sweep posts an export (owners and finance); B's job names A's
    // order, which it refuses as no such order. The job in paths is one of A's: an
    // export, which a supervisor could not have started, so its page is 404 to them as
    // another organisation's job is (they read resend jobs of their events).
    ("POST", "/orders/jobs", [401, 403, 403, 303, 303, 303]),
    ("GET", "/orders/jobs/{id}", [401, 403, 404, 200, 200, 404]),
    ("GET", "/orders/jobs/{id}/orders.csv", [401, 403, 403, 200, 200, 404]),
    ("GET", "/sse/orders/jobs/{id}", [401, 403, 404, 200, 200, 404]),
    // Cancelling: an owner or the job's maker; finance reads the owner's export but did
    // not make it, and the owner finds it finished: nothing left to cancel.
    ("POST", "/orders/jobs/{id}/cancel", [401, 403, 404, 403, 409, 404]),
    ("GET", "/sse/orders", [401, 403, 200, 200, 200, 200]),
    // Webhooks are the owner's: B lists its own; A's endpoint is 404 to B. The sweep's
    // form names no URL, so adding one is a 400 for both owners.
    ("GET", "/settings/webhooks", [401, 403, 403, 403, 200, 200]),
    ("POST", "/settings/webhooks", [401, 403, 403, 403, 400, 400]),
    ("GET", "/settings/webhooks/{id}", [401, 403, 403, 403, 200, 404]),
    (
        "POST",
        "/settings/webhooks/{id}/disable",
        [401, 403, 403, 403, 303, 404],
    ),
    ("POST", "/settings/webhooks/{id}/enable", [401, 403, 403, 403, 303, 404]),
    ("POST", "/settings/webhooks/{id}/test", [401, 403, 403, 403, 303, 404]),
    // Last of A's endpoint's rows: it is gone after this one.
    ("POST", "/settings/webhooks/{id}/delete", [401, 403, 403, 403, 303, 404]),
    // The device API knows device tokens only; sessions do not count.
    ("POST", "/api/v1/scans", [401, 401, 401, 401, 401, 401]),
    ("POST", "/api/v1/devices/heartbeat", [401, 401, 401, 401, 401, 401]),
    ("GET", "/api/v1/device", [401, 401, 401, 401, 401, 401]),
    ("GET", "/api/v1/tickets", [401, 401, 401, 401, 401, 401]),
    // A pairing link's token in the body is the capability; the sweep's body has none.
    ("POST", "/api/v1/pair", [400, 400, 400, 400, 400, 400]),
    ("GET", "/api/v1/openapi.json", [200, 200, 200, 200, 200, 200]),
];

struct Ids {
    event: i64,
    refund_order: i64,
    void_order: i64,
    resend_order: i64,
    revoke_link: i64,
    device: i64,
    alert: i64,
    kiosk_token: String,
    webhook: i64,
    job: i64,
    member: i64,
    zone: i64,
    gate: i64,
}

/// Who asks: a cookie jar and the CSRF token of its session (None: anonymous).
struct Asker {
    client: reqwest::Client,
    csrf: Option<String>,
    email: Option<&'static str>,
}

impl Asker {
    async fn new(app: &TestApp, email: Option<&'static str>) -> Self {
        let Some(email) = email else {
            return Self {
                client: app.client(),
                csrf: None,
                email,
            };
        };
        let client = app.signed_in(email).await;
        let csrf = csrf_token(&app.page(&client, "/events").await);
        Self {
            client,
            csrf,
            email: Some(email),
        }
    }
}

async fn kiosk_link(app: &TestApp, owner: &reqwest::Client) -> (i64, String) {
    let links = format!("/events/{}/kiosk-links", app.fixture.event_a);
    let token = csrf_token(&app.page(owner, &links).await).unwrap();
    let page = owner
        .post(app.url(&links))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let start = page.find("/kiosk/").unwrap() + "/kiosk/".len();
    let token = page[start..].split('"').next().unwrap().to_owned();
    let id = app.newest_id("kiosk_links").await;
    (id, token)
}

/// An endpoint of org A's (the app refuses its loopback URL at delivery; nothing is sent).
async fn webhook_endpoint_a(app: &TestApp) -> i64 {
    let org = app.fixture.org_a.organization_id();
    app.db(move |conn| {
        use diesel::RunQueryDsl;
        diesel::sql_query(format!(
            "INSERT INTO webhook_endpoints (organization_id, url, events, secret, scan_cursor, scan_cursor_at, created_at) \
             VALUES ({org}, 'http://127.0.0.1:9/roles', 'order.paid', 'whsec_roles', 0, 0, 0)"
        ))
        .execute(conn)
        .unwrap();
    })
    .await;
    app.newest_id("webhook_endpoints").await
}

/// An open gate alert at a gate of org A's event.
async fn open_alert_a(app: &TestApp) -> i64 {
    let (tenant, event) = (app.fixture.org_a, app.fixture.event_a);
    app.db(move |conn| {
        use diesel::RunQueryDsl;
        let gate = voelgoed::provisioning::find_or_create_gate(conn, &tenant, event, "Roles").unwrap();
        diesel::sql_query(format!(
            "INSERT INTO gate_alerts (organization_id, event_id, gate_id, kind, subject, started_at, last_seen_at, detail) \
             VALUES ({}, {event}, {gate}, 'low_battery', 'device:0', 0, 0, 'roles')",
            tenant.organization_id()
        ))
        .execute(conn)
        .unwrap();
    })
    .await;
    app.newest_id("gate_alerts").await
}

async fn request(app: &TestApp, asker: &Asker, method: &str, template: &str, ids: &Ids) -> u16 {
    let path = template
        .replace("{file}", "app.css")
        .replace("{link}", &ids.revoke_link.to_string())
        .replace("{device}", &ids.device.to_string())
        .replace("{alert}", &ids.alert.to_string())
        .replace("{zone}", &ids.zone.to_string())
        .replace("{gate}", &ids.gate.to_string())
        .replace("{token}", &ids.kiosk_token);
    let path = match template {
        t if t.contains("/jobs/{id}") => path.replace("{id}", &ids.job.to_string()),
        t if t.starts_with("/orders/{id}/resend") => path.replace("{id}", &ids.resend_order.to_string()),
        t if t.starts_with("/orders/{id}/void") => path.replace("{id}", &ids.void_order.to_string()),
        t if t.starts_with("/orders/{id}") => path.replace("{id}", &ids.refund_order.to_string()),
        t if t.starts_with("/settings/webhooks/{id}") => path.replace("{id}", &ids.webhook.to_string()),
        t if t.starts_with("/team/{id}") => path.replace("{id}", &ids.member.to_string()),
        _ => path.replace("{id}", &ids.event.to_string()),
    };
    let path = if template == "/orders/{id}/refund" && method == "GET" {
        format!("{path}?scope=all")
    } else {
        path
    };
    // Sign-outs get a session of their own, so the rows after them still have one.
    let fresh;
    let asker = match (template.starts_with("/logout"), asker.email) {
        (true, Some(email)) => {
            fresh = Asker::new(app, Some(email)).await;
            &fresh
        }
        _ => asker,
    };
    let csrf = asker.csrf.clone().unwrap_or_default();
    let builder = match method {
        "GET" => asker.client.get(app.url(&path)),
        "POST" if path.starts_with("/api/") => asker
            .client
            .post(app.url(&path))
            .json(&batch(vec![scan("roles-1", "VG-NOPE", "in")])),
        "POST" if path == "/orders/jobs" => asker.client.post(app.url(&path)).form(&[
            ("csrf_token", csrf.as_str()),
            ("job_key", "roles-sweep"),
            ("action", "export"),
            ("order", &ids.refund_order.to_string()),
        ]),
        "POST" => asker.client.post(app.url(&path)).form(&[
            ("csrf_token", csrf.as_str()),
            ("idempotency_key", "roles-sweep"),
            ("scope", "all"),
            ("amount", "4550"),
            ("reason", "other"),
            ("email", "owner@a.test"),
            ("password", "wrong"),
        ]),
        other => panic!("no request for {other}"),
    };
    builder.send().await.unwrap().status().as_u16()
}

/// The gate "Roles" of org A's event.
async fn gate_a(app: &TestApp) -> i64 {
    let (tenant, event) = (app.fixture.org_a, app.fixture.event_a);
    app.db(move |conn| voelgoed::provisioning::find_or_create_gate(conn, &tenant, event, "Roles").unwrap())
        .await
}

/// A zone of org A's event.
async fn zone_a(app: &TestApp) -> i64 {
    let (tenant, event) = (app.fixture.org_a, app.fixture.event_a);
    app.db(move |conn| {
        let zone = voelgoed::zones::model::ZoneSettings::parse("Roles zone", "10", "warn", vec![]).unwrap();
        voelgoed::zones::setup::save_zone(conn, &tenant, None, event, None, &zone).unwrap()
    })
    .await
}

/// A user of org A's whom the sweep may deactivate and give a new password.
async fn team_member_a(app: &TestApp) -> i64 {
    let tenant = app.fixture.org_a;
    app.db(move |conn| {
        voelgoed::provisioning::create_user_with_hash(
            conn,
            &tenant,
            "member@a.test",
            "Mo Member",
            "!",
            voelgoed::auth::Role::Steward,
        )
        .unwrap()
    })
    .await
}

/// A finished export job of organisation A's owner, of one order.
async fn finished_export_job(app: &TestApp, order: i64) -> i64 {
    use diesel::prelude::*;
    use voelgoed::db::schema::{bulk_jobs, users};
    let tenant = app.fixture.org_a;
    let job = app
        .db(move |conn| {
            let user_id = users::table
                .filter(users::email.eq("owner@a.test"))
                .select(users::id)
                .first(conn)
                .unwrap();
            let job = voelgoed::orders::bulk::NewJob {
                user_id,
                events: voelgoed::auth::EventScope::Every,
                job_key: "roles-job".into(),
                action: voelgoed::orders::bulk::BulkAction::Export,
                refund: None,
                order_ids: vec![order],
            };
            voelgoed::orders::bulk::create_job(conn, &tenant, &job).unwrap()
        })
        .await;
    for _ in 0..100 {
        let finished: Option<i64> = app
            .db(move |conn| {
                bulk_jobs::table
                    .find(job)
                    .select(bulk_jobs::finished_at)
                    .first(conn)
                    .unwrap()
            })
            .await;
        if finished.is_some() {
            return job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the export job did not finish");
}

#[tokio::test]
async fn every_route_answers_each_role_exactly_as_the_matrix_says() {
    let app = spawn_app().await;
    let refund_order = app.sell_tickets_a(1).await.id;
    let resend_order = app.sell_tickets_a(1).await.id;
    let void_order = app.sell_tickets_a(1).await.id;
    let askers = [
        Asker::new(&app, None).await,
        Asker::new(&app, Some("steward@a.test")).await,
        Asker::new(&app, Some("super@a.test")).await,
        Asker::new(&app, Some("finance@a.test")).await,
        Asker::new(&app, Some("owner@a.test")).await,
        Asker::new(&app, Some("owner@b.test")).await,
    ];
    let (revoke_link, _) = kiosk_link(&app, &askers[4].client).await;
    let (_, kiosk_token) = kiosk_link(&app, &askers[4].client).await;
    let webhook = webhook_endpoint_a(&app).await;
    let ids = Ids {
        event: app.fixture.event_a,
        job: finished_export_job(&app, refund_order).await,
        refund_order,
        void_order,
        resend_order,
        revoke_link,
        device: app.device_a("Roles").await.1,
        alert: open_alert_a(&app).await,
        kiosk_token,
        webhook,
        member: team_member_a(&app).await,
        zone: zone_a(&app).await,
        gate: gate_a(&app).await,
    };

    let routes = routes_in_the_route_table();
    for (method, path) in &routes {
        assert!(
            MATRIX.iter().any(|(m, p, _)| m == method && p == path),
            "{method} {path} has no row in the roles matrix"
        );
    }
    let mut wrong = Vec::new();
    // "Sign out everywhere" ends the askers' own sessions too: it goes last.
    let (everywhere, rows): (Vec<_>, Vec<_>) = MATRIX.iter().partition(|(_, p, _)| *p == "/logout/everywhere");
    for (method, path, expected) in rows.into_iter().chain(everywhere) {
        assert!(
            routes.iter().any(|(m, p)| m == method && p == path),
            "{method} {path} is in the matrix but not in the route table"
        );
        for (asker, expected) in askers.iter().zip(expected) {
            let got = request(&app, asker, method, path, &ids).await;
            if got != expected {
                wrong.push(format!(
                    "{method} {path} as {:?}: {got}, expected {expected}",
                    asker.email
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}
