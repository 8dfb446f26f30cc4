//! Zones scaled out: two instances on one PostgreSQL and one real Redis. People moved
//! through both instances' gates at once, with a headcount correction, while Redis is
//! killed, started again empty and flushed: every scan answered, and afterwards each
//! instance's zone counts equal a recount from the tickets plus the corrections.

use std::time::{Duration, Instant};

use super::counting::{eventually_counts_agree, scan};
use super::{add_zone, passage, post_form};
use crate::helpers::{scaled_out, RedisServer};

#[tokio::test]
async fn zones_count_exactly_across_instances_through_a_redis_outage() {
    let mut redis = RedisServer::start().await;
    let (a, b) = scaled_out("zones_outage", &redis.url()).await;
    let owner_a = a.signed_in(&a.fixture.owner_a).await;
    let arena = add_zone(&a, &owner_a, "Arena", 1_000, "warn").await;
    let deck = add_zone(&a, &owner_a, "Deck", 1_000, "warn").await;
    let main = passage(&a, &owner_a, "Main", None, arena).await;
    let stairs = passage(&a, &owner_a, "Stairs", Some(arena), deck).await;
    let codes = a.place_order_a(40).await.ticket_codes;
    let owner_b = b.signed_in(&b.fixture.owner_a).await;
    let headcount = format!("/events/{}/zones/{deck}/headcount", b.fixture.event_a);

    let walks = codes.iter().enumerate().map(|(n, code)| {
        let (first, second) = if n % 2 == 0 { (&a, &b) } else { (&b, &a) };
        let (main, stairs) = (main.clone(), stairs.clone());
        async move {
            assert_eq!(scan(first, &main, code, "in").await.0, "valid");
            assert_eq!(scan(second, &stairs, code, "in").await.0, "valid");
            if n % 4 == 0 {
                assert_eq!(scan(first, &stairs, code, "out").await.0, "valid");
            }
        }
    });
    let (first_half, second_half): (Vec<_>, Vec<_>) = walks.enumerate().partition(|(n, _)| *n < 20);
    futures_util::future::join_all(first_half.into_iter().map(|(_, walk)| walk)).await;
    redis.kill();
    // A headcount while Redis is down: stored, and counted once it is back.
    assert_eq!(post_form(&b, &owner_b, &headcount, &[("counted", "12")]).await.0, 303);
    redis.restart().await;
    let moving = futures_util::future::join_all(second_half.into_iter().map(|(_, walk)| walk));
    let flush = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        redis.flushall();
    };
    tokio::join!(moving, flush);

    let deadline = Instant::now() + Duration::from_secs(10);
    for app in [&a, &b] {
        while reqwest::get(app.url("/readyz")).await.unwrap().status() != 200 {
            assert!(Instant::now() < deadline, "not ready again after Redis came back");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    eventually_counts_agree(&a).await;
    eventually_counts_agree(&b).await;
}
