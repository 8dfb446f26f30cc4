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
