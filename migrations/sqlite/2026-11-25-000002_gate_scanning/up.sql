-- Gate scanning: who is inside (the admission state that makes "exactly one valid" a
-- conditional UPDATE), per-device scan idempotency, gate ticket-type restrictions and
-- kiosk links.
ALTER TABLE tickets ADD COLUMN inside_since BIGINT;
ALTER TABLE tickets ADD COLUMN inside_gate_id BIGINT REFERENCES gates(id);
CREATE INDEX tickets_org_event_inside ON tickets (organization_id, event_id) WHERE inside_since IS NOT NULL;

DROP INDEX scans_org_device_scan;
CREATE UNIQUE INDEX scans_device_scan ON scans (device_id, device_scan_id);

CREATE TABLE gate_ticket_types (
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    gate_id BIGINT NOT NULL REFERENCES gates(id),
    ticket_type_id BIGINT NOT NULL REFERENCES ticket_types(id),
    PRIMARY KEY (gate_id, ticket_type_id)
);

CREATE TABLE kiosk_links (
    id INTEGER PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    event_id BIGINT NOT NULL REFERENCES events(id),
    gate_id BIGINT REFERENCES gates(id),
    token_hash TEXT NOT NULL UNIQUE,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX kiosk_links_org_event ON kiosk_links (organization_id, event_id);

-- Writing to this (empty) table first makes a transaction take SQLite's write lock
-- at its start, waiting on busy_timeout, like BEGIN IMMEDIATE (see db::write_transaction).
CREATE TABLE write_lock (id INTEGER PRIMARY KEY);
