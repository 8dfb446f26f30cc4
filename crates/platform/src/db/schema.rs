//! Diesel table definitions, shared by the SQLite and PostgreSQL migrations.
//! Times are unix milliseconds (UTC); money is integer minor units.

diesel::table! {
    organizations (id) {
        id -> BigInt,
        name -> Text,
        timezone -> Text,
        created_at -> BigInt,
        two_factor_required -> Bool,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        organization_id -> BigInt,
        email -> Text,
        name -> Text,
        password_hash -> Text,
        role -> Text,
        created_at -> BigInt,
        deactivated_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    user_events (id) {
        id -> BigInt,
        organization_id -> BigInt,
        user_id -> BigInt,
        event_id -> BigInt,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        token_hash -> Text,
        user_id -> BigInt,
        csrf_token -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        last_seen_at -> BigInt,
        awaiting_code -> Bool,
    }
}

diesel::table! {
    sign_in_attempts (id) {
        id -> BigInt,
        email -> Text,
        address -> Text,
        outcome -> Text,
        attempted_at -> BigInt,
        step -> Text,
    }
}

// Two-factor sign-in: a user's TOTP secret and their single-use recovery codes.
diesel::table! {
    two_factor (user_id) {
        user_id -> BigInt,
        organization_id -> BigInt,
        secret -> Text,
        confirmed_at -> Nullable<BigInt>,
        last_used_step -> BigInt,
        created_at -> BigInt,
    }
}

diesel::table! {
    recovery_codes (id) {
        id -> BigInt,
        user_id -> BigInt,
        code_hash -> Text,
        used_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    events (id) {
        id -> BigInt,
        organization_id -> BigInt,
        name -> Text,
        venue -> Text,
        starts_at -> BigInt,
        ends_at -> BigInt,
        timezone -> Text,
        capacity -> BigInt,
        currency -> Text,
        sales_open_at -> BigInt,
        created_at -> BigInt,
        entry_policy -> Text,
        zone_mismatch -> Text,
        has_zones -> Bool,
    }
}

diesel::table! {
    ticket_types (id) {
        id -> BigInt,
        organization_id -> BigInt,
        event_id -> BigInt,
        name -> Text,
        price -> BigInt,
        capacity -> BigInt,
    }
}

diesel::table! {
    orders (id) {
        id -> BigInt,
        organization_id -> BigInt,
        event_id -> BigInt,
        code -> Text,
        buyer_name -> Text,
        buyer_email -> Text,
        status -> Text,
        gross -> BigInt,
        fees -> BigInt,
        net -> BigInt,
        created_at -> BigInt,
    }
}

diesel::table! {
    /// The order search's typo dictionary: each buyer-name word (folded) under itself
    /// and each of its one-deletion variants, per organisation.
    order_search_words (organization_id, variant, word) {
        organization_id -> BigInt,
        variant -> Text,
        word -> Text,
    }
}

diesel::table! {
    tickets (id) {
        id -> BigInt,
        organization_id -> BigInt,
        event_id -> BigInt,
        order_id -> BigInt,
        ticket_type_id -> BigInt,
        code -> Text,
        status -> Text,
        price -> BigInt,
        created_at -> BigInt,
        inside_since -> Nullable<BigInt>,
        inside_gate_id -> Nullable<BigInt>,
        last_entered_at -> Nullable<BigInt>,
        inside_zone_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    gate_ticket_types (gate_id, ticket_type_id) {
        organization_id -> BigInt,
        gate_id -> BigInt,
        ticket_type_id -> BigInt,
    }
}

diesel::table! {
    device_pairings (id) {
        id -> BigInt,
        organization_id -> BigInt,
        event_id -> BigInt,
        gate_id -> BigInt,
        token_hash -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
        device_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    offline_conflicts (id) {
        id -> BigInt,
        organization_id -> BigInt,
        event_id -> BigInt,
        gate_id -> BigInt,
        device_id -> BigInt,
        device_scan_id -> Text,
        ticket_code -> Text,
        decided -> Text,
        answered -> Text,
        received_at -> BigInt,
    }
}

diesel::table! {
    kiosk_links (id) {
        id -> BigInt,
        organization_id -> BigInt,
        event_id -> BigInt,
        gate_id -> Nullable<BigInt>,
        token_hash -> Text,
        created_by -> BigInt,
        created_at -> BigInt,
        revoked_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    gates (id) {
        id -> BigInt,
        organization_id -> BigInt,
        event_id -> BigInt,
        name -> Text,
        from_zone_id -> Nullable<BigInt>,
        to_zone_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    /// Areas of an event with a capacity of their own; `inside` is kept by the gate engine.
    zones (id) {
        id -> BigInt,
        organization_id -> BigInt,
        event_id -> BigInt,
        name -> Text,
        capacity -> BigInt,
        when_full -> Text,
        inside -> BigInt,
        correction -> BigInt,
        created_at -> BigInt,
    }
}

diesel::table! {
    zone_ticket_types (zone_id, ticket_type_id) {
        organization_id -> BigInt,
        zone_id -> BigInt,
        ticket_type_id -> BigInt,
    }
}

diesel::table! {
    zone_corrections (id) {
        id -> BigInt,
        organization_id -> BigInt,
        event_id -> BigInt,
        zone_id -> BigInt,
        counted -> BigInt,
        shown -> BigInt,
        correction -> BigInt,
        user_id -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

diesel::table! {
    devices (id) {
        id -> BigInt,
        organization_id -> BigInt,
        event_id -> BigInt,
        gate_id -> BigInt,
        name -> Text,
        token_hash -> Text,
        revoked_at -> Nullable<BigInt>,
        last_heartbeat_at -> Nullable<BigInt>,
        battery -> Nullable<Integer>,
        pending_uploads -> Nullable<Integer>,
        app_version -> Nullable<Text>,
        created_at -> BigInt,
    }
}

diesel::table! {
    scans (id) {
        id -> BigInt,
        organization_id -> BigInt,
        event_id -> BigInt,
        device_scan_id -> Text,
        ticket_code -> Text,
        ticket_id -> Nullable<BigInt>,
        gate_id -> BigInt,
        device_id -> BigInt,
        direction -> Text,
        scanned_at -> BigInt,
        received_at -> BigInt,
        result -> Text,
        reason -> Nullable<Text>,
        admitted_at -> Nullable<BigInt>,
        admitted_gate -> Nullable<Text>,
    }
}

diesel::table! {
    refunds (id) {
        id -> BigInt,
        organization_id -> BigInt,
        order_id -> BigInt,
        amount -> BigInt,
        idempotency_key -> Text,
        user_id -> BigInt,
        created_at -> BigInt,
        reason -> Text,
        note -> Nullable<Text>,
    }
}

diesel::table! {
    email_outbox (id) {
        id -> BigInt,
        organization_id -> BigInt,
        order_id -> Nullable<BigInt>,
        recipient -> Text,
        subject -> Text,
        body -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> BigInt,
        last_error -> Nullable<Text>,
        created_at -> BigInt,
        sent_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        organization_id -> BigInt,
        user_id -> Nullable<BigInt>,
        action -> Text,
        subject_type -> Text,
        subject_id -> BigInt,
        details -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    ticket_sales_hourly (organization_id, event_id, ticket_type_id, hour_start) {
        organization_id -> BigInt,
        event_id -> BigInt,
        ticket_type_id -> BigInt,
        hour_start -> BigInt,
        tickets_sold -> BigInt,
        gross -> BigInt,
        fees -> BigInt,
    }
}

diesel::table! {
    webhook_endpoints (id) {
        id -> BigInt,
        organization_id -> BigInt,
        url -> Text,
        events -> Text,
        secret -> Text,
        disabled_at -> Nullable<BigInt>,
        scan_cursor -> BigInt,
        scan_cursor_at -> BigInt,
        created_by -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

diesel::table! {
    bulk_jobs (id) {
        id -> BigInt,
        organization_id -> BigInt,
        user_id -> BigInt,
        job_key -> Text,
        action -> Text,
        refund_reason -> Nullable<Text>,
        refund_note -> Nullable<Text>,
        total -> BigInt,
        lease_until -> BigInt,
        created_at -> BigInt,
        finished_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    webhook_alerts (organization_id, event_id, alert_key) {
        organization_id -> BigInt,
        event_id -> BigInt,
        alert_key -> Text,
        began_at -> BigInt,
        last_seen_at -> BigInt,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        organization_id -> BigInt,
        endpoint_id -> BigInt,
        delivery_key -> Text,
        event -> Text,
        body -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> BigInt,
        last_error -> Nullable<Text>,
        created_at -> BigInt,
        sent_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    bulk_job_orders (job_id, position) {
        job_id -> BigInt,
        position -> BigInt,
        order_id -> BigInt,
        outcome -> Nullable<Text>,
        reason -> Nullable<Text>,
    }
}

diesel::table! {
    /// Gate anomaly alerts: one row per episode, open while `closed_at` is NULL.
    gate_alerts (id) {
        id -> BigInt,
        organization_id -> BigInt,
        event_id -> BigInt,
        gate_id -> BigInt,
        device_id -> Nullable<BigInt>,
        kind -> Text,
        subject -> Text,
        started_at -> BigInt,
        last_seen_at -> BigInt,
        detail -> Text,
        acknowledged_at -> Nullable<BigInt>,
        acknowledged_by -> Nullable<BigInt>,
        closed_at -> Nullable<BigInt>,
    }
}

diesel::joinable!(users -> organizations (organization_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(two_factor -> users (user_id));
diesel::joinable!(recovery_codes -> users (user_id));
diesel::joinable!(user_events -> users (user_id));
diesel::joinable!(user_events -> events (event_id));
diesel::joinable!(events -> organizations (organization_id));
diesel::joinable!(ticket_types -> events (event_id));
diesel::joinable!(orders -> events (event_id));
diesel::joinable!(tickets -> orders (order_id));
diesel::joinable!(tickets -> ticket_types (ticket_type_id));
diesel::joinable!(gates -> events (event_id));
diesel::joinable!(devices -> gates (gate_id));
diesel::joinable!(scans -> gates (gate_id));
diesel::joinable!(scans -> devices (device_id));
diesel::joinable!(kiosk_links -> events (event_id));
diesel::joinable!(device_pairings -> gates (gate_id));
diesel::joinable!(refunds -> orders (order_id));
diesel::joinable!(webhook_deliveries -> webhook_endpoints (endpoint_id));

diesel::allow_tables_to_appear_in_same_query!(
    organizations,
    users,
    user_events,
    sessions,
    sign_in_attempts,
    two_factor,
    recovery_codes,
    events,
    ticket_types,
    orders,
    tickets,
    gates,
    zones,
    zone_ticket_types,
    zone_corrections,
    devices,
    scans,
    refunds,
    email_outbox,
    audit_log,
    gate_ticket_types,
    kiosk_links,
    device_pairings,
    offline_conflicts,
    ticket_sales_hourly,
    order_search_words,
    webhook_endpoints,
    webhook_deliveries,
    webhook_alerts,
    bulk_jobs,
    bulk_job_orders,
    gate_alerts,
);

// Order management (refunds and audit entries name the user who acted).
diesel::joinable!(refunds -> users (user_id));
diesel::joinable!(audit_log -> users (user_id));

// Bulk jobs: a job's orders.
diesel::joinable!(bulk_job_orders -> bulk_jobs (job_id));

// Gate alerts: the gate an alert is at.
diesel::joinable!(gate_alerts -> gates (gate_id));
