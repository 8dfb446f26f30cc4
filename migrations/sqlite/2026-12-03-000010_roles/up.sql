-- Four roles at the door: the CHECK on users.role widens, which SQLite can do only by
-- rebuilding the table (its documented twelve steps): with foreign keys off, so that
-- dropping the old table neither cascades to sessions nor trips the references of
-- refunds, audit entries and jobs, which bind to the new "users" by name. Hence this
-- migration runs outside diesel's transaction (metadata.toml) and opens its own.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE users_with_roles (
    id INTEGER PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('owner', 'finance', 'supervisor', 'steward')),
    created_at BIGINT NOT NULL,
    -- Set when an owner deactivates the user: no sign-in, no session.
    deactivated_at BIGINT
);
INSERT INTO users_with_roles (id, organization_id, email, name, password_hash, role, created_at)
    SELECT id, organization_id, email, name, password_hash, role, created_at FROM users;
DROP TABLE users;
ALTER TABLE users_with_roles RENAME TO users;
CREATE INDEX users_org ON users (organization_id, email);

-- The events a supervisor or steward runs (owners and finance see every event).
CREATE TABLE user_events (
    id INTEGER PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    event_id BIGINT NOT NULL REFERENCES events(id),
    UNIQUE (user_id, event_id)
);
CREATE INDEX user_events_org_event ON user_events (organization_id, event_id);
COMMIT;
PRAGMA foreign_keys = ON;
