//! What `/metrics` reads at scrape time from this app's services: scans decided, open
//! live streams, renders, the dashboard cache, the database pools, the outbox and the
//! Redis link. Wired here because only the assembly knows every feature; the metrics
//! plumbing (`telemetry/`) only runs these collectors.

use std::time::Duration;

use crate::db::{self, Pool};
use crate::live::{StreamCounts, StreamKind};
use crate::orders::outbox;
use crate::orders::DeliveryStatus;
use crate::scanning::ScanResult;
use crate::telemetry::{Collectors, Exposition, Kind};

use super::Services;

/// Longest the outbox count may take (the scrape itself waits at most 1 s for it).
const OUTBOX_TIMEOUT: Duration = Duration::from_millis(800);

pub(super) fn collectors(services: &Services, streams: &StreamCounts) -> Collectors {
    let mut collectors = Collectors::default();
    let writer = services.scan_writer.clone();
    collectors.add(move |out| {
        let name = "voelgoed_scans_total";
        out.family(
            name,
            Kind::Counter,
            "Scans decided and recorded, by result (a resent scan counts once).",
        );
        for result in ScanResult::ALL {
            out.sample(name, &[("result", result.as_str())], writer.decided(result));
        }
    });
    let tokens = services.device_tokens.clone();
    collectors.add(move |out| {
        let name = "voelgoed_device_token_reads_total";
        out.family(
            name,
            Kind::Counter,
            "Reads of the known device tokens (at most a few a second, whatever tokens are sent).",
        )
        .sample(name, &[], tokens.reads());
    });
    let streams = streams.clone();
    collectors.add(move |out| {
        let name = "voelgoed_sse_subscribers";
        out.family(name, Kind::Gauge, "Live streams open now, by kind of stream.");
        for kind in StreamKind::ALL {
            out.sample(name, &[("kind", kind.label())], streams.open(kind));
        }
    });
    let (hub, cache) = (services.hub.clone(), services.metrics.clone());
    collectors.add(move |out| {
        out.family(
            "voelgoed_live_renders_total",
            Kind::Counter,
            "Renders of live views (once per channel burst, not per subscriber).",
        )
        .sample("voelgoed_live_renders_total", &[], hub.renders())
        .family(
            "voelgoed_live_channels",
            Kind::Gauge,
            "Live views with a render task (at least one subscriber).",
        )
        .sample("voelgoed_live_channels", &[], hub.live_channels())
        .family(
            "voelgoed_dashboard_cache_hits_total",
            Kind::Counter,
            "Dashboard metrics served from the cache.",
        )
        .sample("voelgoed_dashboard_cache_hits_total", &[], cache.hits())
        .family(
            "voelgoed_dashboard_cache_computations_total",
            Kind::Counter,
            "Dashboard metrics computed from the database.",
        )
        .sample("voelgoed_dashboard_cache_computations_total", &[], cache.computations());
    });
    let pools = [
        ("pages", services.pool.get_ref().clone()),
        ("gates", services.gate_pool.0.clone()),
        ("exports", services.exports.pool().clone()),
    ];
    collectors.add(move |out| pool_states(out, &pools));
    let pool = services.pool.get_ref().clone();
    collectors.add_async(move || outbox_messages(pool.clone()));
    if let Some(redis) = services.redis.clone() {
        collectors.add(move |out| {
            let name = "voelgoed_redis_connected";
            out.family(
                name,
                Kind::Gauge,
                "1 while Redis (the link between instances) answers, else 0.",
            )
            .sample(name, &[], u8::from(redis.is_up()));
        });
    }
    collectors
}

fn pool_states(out: &mut Exposition, pools: &[(&str, Pool)]) {
    let name = "voelgoed_db_pool_connections";
    out.family(
        name,
        Kind::Gauge,
        "Database connections of each pool: in use, idle and the most it may open.",
    );
    for (pool, connections) in pools {
        let state = connections.state();
        let in_use = state.connections - state.idle_connections;
        out.sample(name, &[("pool", pool), ("state", "in_use")], in_use)
            .sample(name, &[("pool", pool), ("state", "idle")], state.idle_connections)
            .sample(name, &[("pool", pool), ("state", "max")], connections.max_size());
    }
}

/// The outbox's messages by state, read from the database; nothing when it does not
/// answer in time (a scrape never waits on a busy database).
async fn outbox_messages(pool: Pool) -> Exposition {
    let mut out = Exposition::default();
    let counted = tokio::time::timeout(
        OUTBOX_TIMEOUT,
        db::run_blocking(&pool, |conn| Ok::<_, db::DbError>(outbox::count_by_status(conn)?)),
    )
    .await;
    let Ok(Ok(counts)) = counted else {
        return out;
    };
    let name = "voelgoed_outbox_messages";
    out.family(name, Kind::Gauge, "E-mails in the outbox, by state.");
    for status in DeliveryStatus::ALL {
        let n = counts.iter().find(|(s, _)| *s == status).map_or(0, |(_, n)| *n);
        out.sample(name, &[("state", status.as_str())], n);
    }
    out
}
