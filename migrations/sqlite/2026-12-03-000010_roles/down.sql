PRAGMA foreign_keys = OFF;
BEGIN;
DROP TABLE user_events;
DELETE FROM users WHERE role IN ('finance', 'steward');
CREATE TABLE users_before_roles (
    id INTEGER PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('owner', 'supervisor')),
    created_at BIGINT NOT NULL
);
INSERT INTO users_before_roles (id, organization_id, email, name, password_hash, role, created_at)
    SELECT id, organization_id, email, name, password_hash, role, created_at FROM users;
DROP TABLE users;
ALTER TABLE users_before_roles RENAME TO users;
CREATE INDEX users_org ON users (organization_id, email);
COMMIT;
PRAGMA foreign_keys = ON;
