-- Single-use links that pair a phone as a gate's scanning device: made by a supervisor
-- or an owner (or the command line: no user), valid for ten minutes, and used once,
-- when opening them makes the device (whose token then lives only on that phone).
CREATE TABLE device_pairings (
    id BIGSERIAL PRIMARY KEY,
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

-- Scans a scanner decided offline that the server answered otherwise once uploaded:
-- written only then (rarely), by the device API, so the scans table and its insert stay
-- as they were; the gate-alert detector opens an 'offline_conflict' alert from them. A
-- resent upload (same device and scan id) is recorded once.
CREATE TABLE offline_conflicts (
    id BIGSERIAL PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    event_id BIGINT NOT NULL REFERENCES events(id),
    gate_id BIGINT NOT NULL REFERENCES gates(id),
    device_id BIGINT NOT NULL REFERENCES devices(id),
    device_scan_id TEXT NOT NULL,
    ticket_code TEXT NOT NULL,
    decided TEXT NOT NULL CHECK (decided IN ('valid', 'duplicate', 'invalid')),
    answered TEXT NOT NULL CHECK (answered IN ('valid', 'duplicate', 'invalid')),
    received_at BIGINT NOT NULL,
    UNIQUE (device_id, device_scan_id)
);
CREATE INDEX offline_conflicts_of_event ON offline_conflicts (organization_id, event_id, received_at);

ALTER TABLE gate_alerts DROP CONSTRAINT gate_alerts_kind_check;
ALTER TABLE gate_alerts ADD CONSTRAINT gate_alerts_kind_check
    CHECK (kind IN ('invalid_spike', 'counterfeit_batch', 'ticket_passing', 'device_silent', 'low_battery', 'offline_conflict'));
