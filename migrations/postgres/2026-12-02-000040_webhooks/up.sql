-- Signed webhooks: an organisation's endpoints, and one delivery row per event per
-- endpoint, queued in the transaction of the change it reports (an outbox).
CREATE TABLE webhook_endpoints (
    id BIGSERIAL PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    url TEXT NOT NULL,
    -- The event names it receives, comma-separated (`order.paid,scan.recorded`).
    events TEXT NOT NULL,
    -- The HMAC key of its signatures: needed in clear to sign.
    secret TEXT NOT NULL,
    disabled_at BIGINT,
    -- scan.recorded: the last scan id delivered, and when the cursor last moved (at
    -- most once a second, by a conditional update, whichever instance wins).
    scan_cursor BIGINT NOT NULL,
    scan_cursor_at BIGINT NOT NULL,
    created_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_org ON webhook_endpoints (organization_id, id);

CREATE TABLE webhook_deliveries (
    id BIGSERIAL PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    endpoint_id BIGINT NOT NULL REFERENCES webhook_endpoints(id),
    -- The delivery's unique id, sent in the `Voelgoed-Delivery` header and the body.
    delivery_key TEXT NOT NULL UNIQUE,
    event TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (organization_id, endpoint_id, id);

-- capacity.alert: the alerts already announced per event (key like `occupancy:full`,
-- `ticket_type:Regular:near`). The insert that adds one queues its deliveries, so an
-- alert is announced once however many instances see it; one no instance has seen for
-- a minute is deleted, and announced again when it returns.
CREATE TABLE webhook_alerts (
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    event_id BIGINT NOT NULL REFERENCES events(id),
    alert_key TEXT NOT NULL,
    began_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    PRIMARY KEY (organization_id, event_id, alert_key)
);
