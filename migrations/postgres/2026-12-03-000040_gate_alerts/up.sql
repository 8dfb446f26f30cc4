-- Gate anomaly alerts: one row per episode of a condition at a gate (an invalid-scan
-- spike, a counterfeit batch, ticket passing, a silent device, a low battery). An
-- episode is open while closed_at is NULL; acknowledging it does not close it.
CREATE TABLE gate_alerts (
    id BIGSERIAL PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    event_id BIGINT NOT NULL REFERENCES events(id),
    gate_id BIGINT NOT NULL REFERENCES gates(id),
    device_id BIGINT REFERENCES devices(id),
    kind TEXT NOT NULL CHECK (kind IN ('invalid_spike', 'counterfeit_batch', 'ticket_passing', 'device_silent', 'low_battery')),
    -- What within kind and gate the alert is about: '' (the gate), 'device:ID',
    -- 'ticket:ID' or 'prefix:ABCDEF'. Part of what makes an open alert unique.
    subject TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    detail TEXT NOT NULL,
    acknowledged_at BIGINT,
    acknowledged_by BIGINT REFERENCES users(id),
    closed_at BIGINT
);
-- One open episode per condition, whichever instance evaluates first: the loser's
-- insert does nothing.
CREATE UNIQUE INDEX gate_alerts_one_open ON gate_alerts (organization_id, event_id, kind, gate_id, subject) WHERE closed_at IS NULL;
-- "The open alerts of these events" (monitor, kiosk, overview).
CREATE INDEX gate_alerts_open_of_event ON gate_alerts (organization_id, event_id, started_at) WHERE closed_at IS NULL;
-- The detector reads the last minutes of an event's scans by when they were scanned.
CREATE INDEX IF NOT EXISTS scans_org_event_scanned_at ON scans (organization_id, event_id, scanned_at);
