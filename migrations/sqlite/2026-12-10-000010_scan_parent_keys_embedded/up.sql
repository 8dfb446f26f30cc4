-- The scans' keys to their organisation, event, gate, device and ticket, dropped on
-- SQLite (PostgreSQL dropped the first four in 2026-12-07-000010_scan_parent_keys).
-- SQLite looks each parent up in its table for every stored scan: 5,600 of the
-- 102,000 instructions the scan writer spent on a scan (BENCHMARKS.md, 2026-12-07). The writer
-- takes the first four from the device's own row, which the gates' token lookup read,
-- and the ticket's id from the ticket row it read by code in the same transaction;
-- nothing deletes organisations, events, gates, devices or tickets. (PostgreSQL keeps
-- the ticket's key: there it costs nothing measurable, the admitting UPDATE holds that
-- row anyway.) SQLite cannot drop a key in place: the table is built again, its rows
-- copied in order, and its indexes made again.
CREATE TABLE scans_rebuilt (
    id INTEGER PRIMARY KEY,
    organization_id BIGINT NOT NULL,
    event_id BIGINT NOT NULL,
    device_scan_id TEXT NOT NULL,
    ticket_code TEXT NOT NULL,
    ticket_id BIGINT,
    gate_id BIGINT NOT NULL,
    device_id BIGINT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    scanned_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    result TEXT NOT NULL CHECK (result IN ('valid', 'duplicate', 'invalid')),
    reason TEXT,
    admitted_at BIGINT,
    admitted_gate TEXT
);
INSERT INTO scans_rebuilt (id, organization_id, event_id, device_scan_id, ticket_code, ticket_id,
    gate_id, device_id, direction, scanned_at, received_at, result, reason, admitted_at, admitted_gate)
SELECT id, organization_id, event_id, device_scan_id, ticket_code, ticket_id,
    gate_id, device_id, direction, scanned_at, received_at, result, reason, admitted_at, admitted_gate
FROM scans ORDER BY id;
DROP TABLE scans;
ALTER TABLE scans_rebuilt RENAME TO scans;
CREATE INDEX scans_org_event_id ON scans (organization_id, event_id, id);
CREATE INDEX scans_org_event_ticket ON scans (organization_id, event_id, ticket_id, id);
CREATE UNIQUE INDEX scans_device_scan ON scans (device_id, device_scan_id);
CREATE INDEX scans_org_event_arrivals ON scans (organization_id, event_id, result, scanned_at, direction, gate_id, ticket_id);
CREATE INDEX scans_org_event_scanned_at ON scans (organization_id, event_id, scanned_at);
