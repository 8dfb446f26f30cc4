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

-- A scan a scanner decided offline carries what it decided; where the server decided
-- otherwise on upload, the gate gets an 'offline_conflict' alert. Few scans have it:
-- the detector reads them through a partial index.
ALTER TABLE scans ADD COLUMN decided_offline TEXT CHECK (decided_offline IN ('valid', 'duplicate', 'invalid'));
CREATE INDEX scans_decided_offline ON scans (organization_id, event_id, received_at) WHERE decided_offline IS NOT NULL;

ALTER TABLE gate_alerts DROP CONSTRAINT gate_alerts_kind_check;
ALTER TABLE gate_alerts ADD CONSTRAINT gate_alerts_kind_check
    CHECK (kind IN ('invalid_spike', 'counterfeit_batch', 'ticket_passing', 'device_silent', 'low_battery', 'offline_conflict'));
