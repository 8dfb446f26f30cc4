//! Each link against the pattern its route registers.
use super::*;

/// A pattern filled in the way actix-web would match it.
fn fill(pattern: Pattern, values: &[&str]) -> String {
    values.iter().fold(pattern.to_owned(), |filled, value| {
        let (start, end) = (filled.find('{').unwrap_or(0), filled.find('}').unwrap_or(0));
        format!("{}{value}{}", &filled[..start], &filled[end + 1..])
    })
}

#[test]
fn every_link_matches_the_pattern_its_route_registers() {
    let pairs = [
        (metrics(), fill(METRICS, &[])),
        (asset("app.css"), fill(ASSET, &["app.css"])),
        (event_dashboard(7), fill(EVENT_DASHBOARD, &["7"])),
        (event_dashboard_stream(7), fill(EVENT_DASHBOARD_STREAM, &["7"])),
        (scan_monitor(7), fill(SCAN_MONITOR, &["7"])),
        (scan_monitor_stream(7), fill(SCAN_MONITOR_STREAM, &["7"])),
        (door_lookup(7), fill(DOOR_LOOKUP, &["7"])),
        (kiosk_links(7), fill(KIOSK_LINKS, &["7"])),
        (entry_policy(7), fill(ENTRY_POLICY, &["7"])),
        (events_overview_stream(), fill(EVENTS_OVERVIEW_STREAM, &[])),
        (kiosk_link_revoke(7, 9), fill(KIOSK_LINK_REVOKE, &["7", "9"])),
        (alert_acknowledge(7, 9), fill(ALERT_ACKNOWLEDGE, &["7", "9"])),
        (kiosk("abc"), fill(KIOSK, &["abc"])),
        (device_pairings(7), fill(DEVICE_PAIRINGS, &["7"])),
        (device_revoke(7, 9), fill(DEVICE_REVOKE, &["7", "9"])),
        (pair("abc"), fill(PAIR, &["abc"])),
        (kiosk_stream("abc"), fill(KIOSK_STREAM, &["abc"])),
        (order(7), fill(ORDER, &["7"])),
        (order_refund(7), fill(ORDER_REFUND, &["7"])),
        (order_void(7), fill(ORDER_VOID, &["7"])),
        (order_tickets(7), fill(ORDER_TICKETS, &["7"])),
        (order_resend_confirmation(7), fill(ORDER_RESEND_CONFIRMATION, &["7"])),
        (team_member_role(7), fill(TEAM_ROLE, &["7"])),
        (team_member_password(7), fill(TEAM_PASSWORD, &["7"])),
        (team_member_deactivate(7), fill(TEAM_DEACTIVATE, &["7"])),
        (team_member_reactivate(7), fill(TEAM_REACTIVATE, &["7"])),
        (webhook(7), fill(WEBHOOK, &["7"])),
        (webhook_disable(7), fill(WEBHOOK_DISABLE, &["7"])),
        (webhook_enable(7), fill(WEBHOOK_ENABLE, &["7"])),
        (webhook_delete(7), fill(WEBHOOK_DELETE, &["7"])),
        (webhook_test(7), fill(WEBHOOK_TEST, &["7"])),
        (order_job(7), fill(ORDER_JOB, &["7"])),
        (order_job_csv(7), fill(ORDER_JOB_CSV, &["7"])),
        (order_job_cancel(7), fill(ORDER_JOB_CANCEL, &["7"])),
        (order_job_stream(7), fill(ORDER_JOB_STREAM, &["7"])),
    ];
    for (link, route) in pairs {
        assert_eq!(link, route);
    }
}

#[test]
fn the_code_step_keeps_where_to_land_encoded() {
    assert_eq!(login_code("/orders?event=2"), "/login/code?next=%2Forders%3Fevent%3D2");
}

#[test]
fn a_query_is_appended_only_when_there_is_one() {
    assert_eq!(with_query(ORDERS, ""), "/orders");
    assert_eq!(with_query(ORDERS, "status=paid"), "/orders?status=paid");
}

#[test]
fn a_kiosk_stream_path_names_its_token_and_nothing_else_does() {
    assert_eq!(kiosk_stream_token(&kiosk_stream("abc")), Some("abc"));
    for other in [
        kiosk("abc"),
        "/kiosk//stream".into(),
        "/kiosk/a/b/stream".into(),
        EVENTS.to_owned(),
    ] {
        assert_eq!(kiosk_stream_token(&other), None, "{other}");
    }
}
