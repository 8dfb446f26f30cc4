-- Idle timeout: a session also ends when it has not been used for a while.
ALTER TABLE sessions ADD COLUMN last_seen_at BIGINT NOT NULL DEFAULT 0;
UPDATE sessions SET last_seen_at = created_at;
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Every sign-in attempt, keyed by account and client address: throttling counts the
-- pending and failed ones; a success marks the address known-good for the account.
CREATE TABLE sign_in_attempts (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    address TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('pending', 'failed', 'succeeded')),
    attempted_at BIGINT NOT NULL
);
CREATE INDEX sign_in_attempts_email ON sign_in_attempts (email, attempted_at);
CREATE INDEX sign_in_attempts_address ON sign_in_attempts (address, attempted_at);
DROP TABLE login_failures;

-- The audit page lists an organisation's entries newest first, by action or by user.
CREATE INDEX audit_log_org ON audit_log (organization_id, id);
CREATE INDEX audit_log_org_action ON audit_log (organization_id, action, id);
CREATE INDEX audit_log_org_user ON audit_log (organization_id, user_id, id);
