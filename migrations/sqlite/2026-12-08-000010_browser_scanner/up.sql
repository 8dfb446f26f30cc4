-- Single-use links that pair a phone as a gate's scanning device: made by a supervisor
-- or an owner (or the command line: no user), valid for ten minutes, and used once,
-- when opening them makes the device (whose token then lives only on that phone).
CREATE TABLE device_pairings (
    id INTEGER PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    event_id BIGINT NOT NULL REFERENCES events(id),
    gate_id BIGINT NOT NULL REFERENCES gates(id),
    token_hash TEXT NOT NULL UNIQUE,
    created_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    device_id BIGINT REFERENCES devices(id)
);
CREATE INDEX device_pairings_org_event ON device_pairings (organization_id, event_id);

-- A scan a scanner decided offline carries what it decided; where the server decided
-- otherwise on upload, the gate gets an 'offline_conflict' alert. Few scans have it:
-- the detector reads them through a partial index.
ALTER TABLE scans ADD COLUMN decided_offline TEXT CHECK (decided_offline IN ('valid', 'duplicate', 'invalid'));
CREATE INDEX scans_decided_offline ON scans (organization_id, event_id, received_at) WHERE decided_offline IS NOT NULL;

-- SQLite cannot change a CHECK constraint in place: gate_alerts is rebuilt for the new kind.
CREATE TABLE gate_alerts_next (
    id INTEGER PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    event_id BIGINT NOT NULL REFERENCES events(id),
    gate_id BIGINT NOT NULL REFERENCES gates(id),
    device_id BIGINT REFERENCES devices(id),
    kind TEXT NOT NULL CHECK (kind IN ('invalid_spike', 'counterfeit_batch', 'ticket_passing', 'device_silent', 'low_battery', 'offline_conflict')),
    subject TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    detail TEXT NOT NULL,
    acknowledged_at BIGINT,
    acknowledged_by BIGINT REFERENCES users(id),
    closed_at BIGINT
);
INSERT INTO gate_alerts_next SELECT id, organization_id, event_id, gate_id, device_id, kind, subject,
    started_at, last_seen_at, detail, acknowledged_at, acknowledged_by, closed_at FROM gate_alerts;
DROP TABLE gate_alerts;
ALTER TABLE gate_alerts_next RENAME TO gate_alerts;
CREATE UNIQUE INDEX gate_alerts_one_open ON gate_alerts (organization_id, event_id, kind, gate_id, subject) WHERE closed_at IS NULL;
CREATE INDEX gate_alerts_open_of_event ON gate_alerts (organization_id, event_id, started_at) WHERE closed_at IS NULL;
