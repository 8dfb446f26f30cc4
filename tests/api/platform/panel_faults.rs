//! One slow panel never takes a page down: with one panel's loading made slower than
//! any budget, the dashboard and the scan monitor still answer 200 at once, every other
//! panel is drawn, that one says "Unavailable, retrying…", and once it loads again the
//! page's live stream fills it in. Each panel of both pages, on SQLite and PostgreSQL.

use std::time::{Duration, Instant};

use voelgoed::db::DatabaseUrl;
use voelgoed::panels::{PanelFaults, PanelName};

use crate::helpers::sse::SseReader;
use crate::helpers::*;

/// The panels' budget in these tests: short, so a slow panel costs the page little.
const BUDGET: Duration = Duration::from_millis(400);

/// A panel of a page: its container on the first load, and how the stream refills it.
struct PagePanel {
    name: PanelName,
    /// The container(s) that say "unavailable" while it cannot load.
    container: &'static str,
    /// The SSE event and a piece of markup that only the real panel has.
    refilled_by: (&'static str, &'static str),
}

const DASHBOARD: [PagePanel; 2] = [
    PagePanel {
        name: PanelName::Metrics,
        container: "#occupancy",
        refilled_by: ("occupancy", r#"data-metric="inside""#),
    },
    PagePanel {
        name: PanelName::Arrivals,
        container: "#arrivals-chart",
        refilled_by: ("occupancy", r#"data-counts="#),
    },
];

const MONITOR: [PagePanel; 4] = [
    PagePanel {
        name: PanelName::Gates,
        container: "#scan-panel",
        refilled_by: ("scan-panel", r#"data-metric="occupancy""#),
    },
    PagePanel {
        name: PanelName::ScanLog,
        container: "#scan-log-table",
        refilled_by: ("scan-log", "<table"),
    },
    PagePanel {
        name: PanelName::Arrivals,
        container: "#arrivals-chart",
        refilled_by: ("arrivals", r#"data-counts="#),
    },
    PagePanel {
        name: PanelName::GateAlerts,
        container: "#gate-alerts",
        refilled_by: ("gate-alerts", "No open alerts."),
    },
];

async fn app_with_faults(url: Option<DatabaseUrl>) -> (TestApp, PanelFaults) {
    let faults = PanelFaults::default();
    let configure = {
        let faults = faults.clone();
        move |settings: &mut voelgoed::config::Settings| {
            settings.panel_budget = BUDGET;
            settings.panel_faults = faults;
        }
    };
    let app = match url {
        Some(url) => spawn_on(url, configure, tempfile::tempdir().unwrap()).await,
        None => spawn_app_with(configure).await,
    };
    // Something to show: sold tickets, people in at a gate.
    let codes = app.sell_tickets_a(4).await.ticket_codes;
    let (device, _) = app.device_a("North").await;
    let scans = codes
        .iter()
        .take(2)
        .enumerate()
        .map(|(n, code)| scan(&format!("s{n}"), code, "in"));
    assert_eq!(app.post_scans(&device, &batch(scans.collect())).await.0, 200);
    (app, faults)
}

fn unavailable(page: &str, container: &str) -> bool {
    text_of(page, &format!(r#"{container} [data-panel="unavailable"]"#)).is_some()
}

/// Each panel of the page in turn made slow: the page answers 200 within the budget and
/// a little, only that panel is unavailable, and the stream refills it once it recovers.
async fn each_panel_fails_alone(url: impl Fn(&str) -> Option<DatabaseUrl>, page: &str, panels: &[PagePanel]) {
    for (n, panel) in panels.iter().enumerate() {
        let (app, faults) = app_with_faults(url(&format!("{n}"))).await;
        let client = app.signed_in("owner@a.test").await;
        let path = format!("/events/{}{page}", app.fixture.event_a);
        faults.set_slow(panel.name, true);

        let started = Instant::now();
        let response = client.get(app.url(&path)).send().await.unwrap();
        let took = started.elapsed();
        assert_eq!(response.status(), 200, "{path} with {:?} slow", panel.name);
        let html = response.text().await.unwrap();

        assert!(took < BUDGET * 5, "{path}: {took:?} with {:?} slow", panel.name);
        assert!(
            unavailable(&html, panel.container),
            "{path}: {} should say unavailable",
            panel.container
        );
        for other in panels.iter().filter(|other| other.name != panel.name) {
            assert!(
                !unavailable(&html, other.container),
                "{path}: {} is unavailable too",
                other.container
            );
        }

        faults.set_slow(panel.name, false);
        let stream = format!("/sse/events/{}{}", app.fixture.event_a, stream_suffix(page));
        let mut reader = SseReader::open(&app, &client, &stream).await;
        let (event, marker) = panel.refilled_by;
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut refilled = false;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match reader.next(left).await {
                Some(message) if message.event == event && message.data.contains(marker) => {
                    refilled = true;
                    break;
                }
                Some(_) => continue,
                None => break,
            }
        }
        assert!(
            refilled,
            "{stream}: no {event} message with {marker} once {:?} recovered",
            panel.name
        );
    }
}

fn stream_suffix(page: &str) -> &'static str {
    match page {
        "" => "/occupancy",
        _ => "/scans",
    }
}

fn sqlite(_: &str) -> Option<DatabaseUrl> {
    None
}

fn postgres(page: &'static str) -> impl Fn(&str) -> Option<DatabaseUrl> {
    move |n| Some(fresh_postgres(&format!("voelgoed_panel_faults_{page}_{n}")))
}

#[tokio::test]
async fn each_dashboard_panel_fails_alone_on_sqlite() {
    each_panel_fails_alone(sqlite, "", &DASHBOARD).await;
}

#[tokio::test]
async fn each_dashboard_panel_fails_alone_on_postgres() {
    each_panel_fails_alone(postgres("dashboard"), "", &DASHBOARD).await;
}

#[tokio::test]
async fn each_monitor_panel_fails_alone_on_sqlite() {
    each_panel_fails_alone(sqlite, "/scans", &MONITOR).await;
}

#[tokio::test]
async fn each_monitor_panel_fails_alone_on_postgres() {
    each_panel_fails_alone(postgres("monitor"), "/scans", &MONITOR).await;
}

/// The dashboard's metrics unavailable: no number is drawn in any of their sections,
/// rather than a zero that looks real.
#[tokio::test]
async fn unavailable_metrics_draw_no_numbers() {
    let (app, faults) = app_with_faults(None).await;
    let client = app.signed_in("owner@a.test").await;
    faults.set_slow(PanelName::Metrics, true);

    let page = app.page(&client, &format!("/events/{}", app.fixture.event_a)).await;

    for section in ["#occupancy", "#ticket-sales", "#revenue", "#velocity", "#sales-chart"] {
        assert!(unavailable(&page, section), "{section}");
        assert!(
            text_of(&page, &format!("{section} [data-metric]")).is_none(),
            "{section}"
        );
    }
    // The event itself is still there, with its link to the monitor.
    assert!(page.contains(&format!("/events/{}/scans", app.fixture.event_a)));
}
