//! `scan-request-layers`: one whole scan (`POST /api/v1/scans` of one fresh ticket,
//! decided and committed by the writer, its scan-log row rendered) sent in process,
//! without a socket, through stacks built of the real middleware around the real device
//! API routes, each stack's runs counted on their own: the bare routes; the bare routes
//! plus each page layer in turn, innermost first, up to all six (how every scan was
//! served before the device API got its own stack); the device API's own two layers;
//! and the whole route table as served (`startup::layered_routes`). What a layer adds
//! is the difference between two stacks (BENCHMARKS.md, "Cost counts"). The request
//! asks for gzip, as a phone's HTTP client (OkHttp) does by itself. Stacks take turns
//! within each round, so a drift over the runs touches them all alike.

use std::ffi::CString;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::middleware::{from_fn, Compress, Condition};
use actix_web::web::{self, Bytes};
use actix_web::{test, App};
use futures_util::stream::BoxStream;
use futures_util::StreamExt;

use super::callgrind;
use super::fixture::Fixture;
use super::scans::scan_log_rows;
use voelgoed::auth::StreamQuota;
use voelgoed::live::StreamCounts;
use voelgoed::{htmx, routes, security_headers, startup, telemetry};

type Answer = Pin<Box<dyn Future<Output = anyhow::Result<Bytes>>>>;
/// A request ready to be sent (made before the count starts).
type Ready = Box<dyn FnOnce() -> Answer>;
/// One stack: given a request, what sends it through.
type Stack = Box<dyn Fn(test::TestRequest) -> Ready>;

/// An app of the fixture's services, `$layers` wrapped around `$routes` (innermost
/// first), as one callable stack.
macro_rules! stack {
    ($fixture:expr, $routes:expr $(, $layer:expr)*) => {{
        let app = App::new()
            .configure(|cfg| $fixture.services.register(cfg))
            .app_data(web::Data::new(StreamQuota::default()))
            .app_data(web::Data::new(StreamCounts::default()))
            $(.wrap($layer))*
            .configure($routes);
        boxed(test::init_service(app).await, test::TestRequest::to_request)
    }};
}

fn device_api(cfg: &mut web::ServiceConfig) {
    cfg.service(routes::device_api());
}

/// Every stack measured, by the name its runs are dumped and reported under.
async fn stacks(fixture: &Fixture) -> Vec<(&'static str, Stack)> {
    let flash = || from_fn(htmx::flash_errors);
    let guard = || from_fn(voelgoed::auth::guard_streams);
    let page_headers = || from_fn(security_headers::security_headers);
    let timing = || Condition::new(true, from_fn(telemetry::record_requests));
    let machine_headers = || from_fn(security_headers::machine_headers);
    vec![
        ("scan-stack-bare", stack!(fixture, device_api)),
        ("scan-stack-flash", stack!(fixture, device_api, flash())),
        ("scan-stack-guard", stack!(fixture, device_api, flash(), guard())),
        (
            "scan-stack-compress",
            stack!(fixture, device_api, flash(), guard(), Compress::default()),
        ),
        (
            "scan-stack-page-headers",
            stack!(
                fixture,
                device_api,
                flash(),
                guard(),
                Compress::default(),
                page_headers()
            ),
        ),
        (
            "scan-stack-timing",
            stack!(
                fixture,
                device_api,
                flash(),
                guard(),
                Compress::default(),
                page_headers(),
                timing()
            ),
        ),
        (
            "scan-stack-six-page-layers",
            stack!(
                fixture,
                device_api,
                flash(),
                guard(),
                Compress::default(),
                page_headers(),
                timing(),
                startup::access_logger()
            ),
        ),
        (
            "scan-stack-machine-headers",
            stack!(fixture, device_api, machine_headers()),
        ),
        (
            "scan-stack-device-layers",
            stack!(fixture, device_api, machine_headers(), telemetry::Observed::new(true)),
        ),
        (
            "scan-request",
            stack!(fixture, |cfg| startup::layered_routes(cfg, true)),
        ),
    ]
}

/// `make` is `TestRequest::to_request`, whose type of request this crate cannot name.
fn boxed<S, B, R>(app: S, make: fn(test::TestRequest) -> R) -> Stack
where
    S: Service<R, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
    R: 'static,
{
    let app = Rc::new(app);
    Box::new(move |request| {
        let (app, request) = (app.clone(), make(request));
        Box::new(move || -> Answer {
            Box::pin(async move {
                let response = app.call(request).await.map_err(|e| anyhow::anyhow!("{e}"))?;
                anyhow::ensure!(response.status() == 200, "answered {}", response.status());
                actix_web::body::to_bytes(response.into_body())
                    .await
                    .map_err(|e| anyhow::anyhow!("{}", e.into()))
            })
        })
    })
}

/// A device's scan of one fresh ticket, its token proven a moment ago (as for a scanner
/// posting every few seconds), so no run holds a snapshot read.
fn scan_request(fixture: &mut Fixture, n: usize) -> anyhow::Result<test::TestRequest> {
    let code = fixture.fresh_codes(1)?.remove(0);
    let scanned_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let scan = serde_json::json!({ "id": format!("layers-{n:04}"), "ticket_code": code, "direction": "in", "scanned_at": scanned_at });
    let hash = voelgoed::auth::token_hash(&fixture.device_token);
    let known = std::iter::once((hash, (fixture.tenant, fixture.device))).collect();
    fixture.services.device_tokens.replace(known);
    Ok(test::TestRequest::post()
        .uri("/api/v1/scans")
        .insert_header(("Authorization", format!("Bearer {}", fixture.device_token)))
        .insert_header(("Content-Type", "application/json"))
        .insert_header(("Accept-Encoding", "gzip"))
        .set_payload(serde_json::json!({ "scans": [scan] }).to_string()))
}

/// Until the scan's row has reached the scan-log feed.
async fn row_rendered(rows: &mut BoxStream<'static, usize>) -> anyhow::Result<()> {
    rows.next()
        .await
        .ok_or_else(|| anyhow::anyhow!("the scan feed closed"))?;
    Ok(())
}

pub async fn run(fixture: &mut Fixture, warm_up: usize, repeat: usize) -> anyhow::Result<()> {
    let stacks = stacks(fixture).await;
    let organization = fixture.tenant.organization_id();
    let mut rows = scan_log_rows(fixture.services.scan_feed.get_ref(), organization, fixture.event_id).await;
    let mut sent = 0;
    for _ in 0..warm_up {
        for (_, stack) in &stacks {
            stack(scan_request(fixture, sent)?)().await?;
            row_rendered(&mut rows).await?;
            sent += 1;
        }
    }
    let names: Vec<CString> = stacks
        .iter()
        .map(|(name, _)| CString::new(format!("{} {name}", callgrind::RUN_DUMP.to_string_lossy())))
        .collect::<Result<_, _>>()?;
    callgrind::start();
    let measured = async {
        for _ in 0..repeat {
            for ((_, stack), name) in stacks.iter().zip(&names) {
                let ready = stack(scan_request(fixture, sent)?);
                sent += 1;
                callgrind::zero();
                let answered = ready().await;
                let rendered = row_rendered(&mut rows).await;
                callgrind::dump(name);
                answered?;
                rendered?;
            }
        }
        anyhow::Ok(())
    }
    .await;
    callgrind::stop();
    measured
}
