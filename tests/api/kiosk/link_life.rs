//! A kiosk link never outlives the rights it was made with (issue 22): it stops when its
//! creator is deactivated or loses the event, and a day after its event has ended; an
//! open display then says so within the session check.

use std::time::Duration;

use diesel::prelude::*;
use voelgoed::db::schema::{events, user_events, users};

use crate::helpers::kiosk::create_link;
use crate::helpers::sse::SseReader;
use crate::helpers::{spawn_app_with, TestApp};

async fn app() -> TestApp {
    spawn_app_with(|s| s.session_check_every = Duration::from_millis(300)).await
}

async fn status(app: &TestApp, path: &str) -> u16 {
    app.client().get(app.url(path)).send().await.unwrap().status().as_u16()
}

/// The open display ends with the "revoked" notice.
async fn ends(reader: &mut SseReader) {
    let last = reader.next(Duration::from_secs(3)).await.expect("a closing notice");
    assert!(last.data.contains("revoked"), "{}", last.data);
    assert!(reader.next(Duration::from_secs(2)).await.is_none(), "the stream ended");
}

#[tokio::test]
async fn a_supervisors_link_stops_when_they_lose_the_event() {
    let app = app().await;
    let supervisor = app.signed_in("super@a.test").await;
    let link = create_link(&app, &supervisor, "").await;
    let mut reader = SseReader::open(&app, &app.client(), &format!("{link}/stream")).await;
    reader.next(Duration::from_secs(5)).await.unwrap();
    assert_eq!(status(&app, &link).await, 200);

    app.db(|conn| {
        let id: i64 = users::table
            .filter(users::email.eq("super@a.test"))
            .select(users::id)
            .first(conn)
            .unwrap();
        diesel::delete(user_events::table.filter(user_events::user_id.eq(id)))
            .execute(conn)
            .unwrap()
    })
    .await;

    ends(&mut reader).await;
    assert_eq!(status(&app, &link).await, 404, "the link no longer opens");
    assert_eq!(status(&app, &format!("{link}/stream")).await, 404);
}

#[tokio::test]
async fn a_link_stops_when_its_creator_is_deactivated() {
    let app = app().await;
    let owner = app.signed_in("owner@a.test").await;
    let link = create_link(&app, &owner, "").await;
    assert_eq!(status(&app, &link).await, 200);

    app.db(|conn| {
        diesel::update(users::table.filter(users::email.eq("owner@a.test")))
            .set(users::deactivated_at.eq(Some(1_i64)))
            .execute(conn)
            .unwrap()
    })
    .await;

    assert_eq!(status(&app, &link).await, 404);
}

#[tokio::test]
async fn a_link_stops_a_day_after_its_event_ended() {
    let app = app().await;
    let owner = app.signed_in("owner@a.test").await;
    let link = create_link(&app, &owner, "").await;
    let event = app.fixture.event_a;
    let end_at = |ended_ago: i64| {
        let app = &app;
        async move {
            app.db(move |conn| {
                diesel::update(events::table.find(event))
                    .set(events::ends_at.eq(voelgoed::db::now_ms() - ended_ago))
                    .execute(conn)
                    .unwrap()
            })
            .await
        }
    };

    end_at(23 * 3_600_000).await;
    assert_eq!(status(&app, &link).await, 200, "the teardown still sees it");
    let mut reader = SseReader::open(&app, &app.client(), &format!("{link}/stream")).await;
    reader.next(Duration::from_secs(5)).await.unwrap();
    end_at(25 * 3_600_000).await;

    ends(&mut reader).await;
    assert_eq!(status(&app, &link).await, 404);
}
