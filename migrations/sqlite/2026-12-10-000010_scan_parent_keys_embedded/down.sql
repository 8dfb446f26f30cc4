-- The scans' parent keys back: the table built again with them.
CREATE TABLE scans_with_keys (
    id INTEGER PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    event_id BIGINT NOT NULL REFERENCES events(id),
    device_scan_id TEXT NOT NULL,
    ticket_code TEXT NOT NULL,
    ticket_id BIGINT REFERENCES tickets(id),
    gate_id BIGINT NOT NULL REFERENCES gates(id),
    device_id BIGINT NOT NULL REFERENCES devices(id),
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    scanned_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    result TEXT NOT NULL CHECK (result IN ('valid', 'duplicate', 'invalid')),
    reason TEXT,
    admitted_at BIGINT,
    admitted_gate TEXT
);
INSERT INTO scans_with_keys (id, organization_id, event_id, device_scan_id, ticket_code, ticket_id,
    gate_id, device_id, direction, scanned_at, received_at, result, reason, admitted_at, admitted_gate)
SELECT id, organization_id, event_id, device_scan_id, ticket_code, ticket_id,
    gate_id, device_id, direction, scanned_at, received_at, result, reason, admitted_at, admitted_gate
FROM scans ORDER BY id;
DROP TABLE scans;
ALTER TABLE scans_with_keys RENAME TO scans;
CREATE INDEX scans_org_event_id ON scans (organization_id, event_id, id);
CREATE INDEX scans_org_event_ticket ON scans (organization_id, event_id, ticket_id, id);
CREATE UNIQUE INDEX scans_device_scan ON scans (device_id, device_scan_id);
CREATE INDEX scans_org_event_arrivals ON scans (organization_id, event_id, result, scanned_at, direction, gate_id, ticket_id);
CREATE INDEX scans_org_event_scanned_at ON scans (organization_id, event_id, scanned_at);
