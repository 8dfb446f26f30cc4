DROP INDEX audit_log_org_user;
DROP INDEX audit_log_org_action;
DROP INDEX audit_log_org;
CREATE TABLE login_failures (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    failed_at BIGINT NOT NULL
);
CREATE INDEX login_failures_email ON login_failures (email, failed_at);
DROP TABLE sign_in_attempts;
DROP INDEX sessions_expires;
ALTER TABLE sessions DROP COLUMN last_seen_at;
