-- Four roles at the door, and the events a supervisor or steward runs.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('owner', 'finance', 'supervisor', 'steward'));
-- Set when an owner deactivates the user: no sign-in, no session.
ALTER TABLE users ADD COLUMN deactivated_at BIGINT;

CREATE TABLE user_events (
    id BIGSERIAL PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    event_id BIGINT NOT NULL REFERENCES events(id),
    UNIQUE (user_id, event_id)
);
CREATE INDEX user_events_org_event ON user_events (organization_id, event_id);
