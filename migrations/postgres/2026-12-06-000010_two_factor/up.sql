-- Two-factor sign-in (TOTP, RFC 6238). One row per user who set it up: the shared
-- secret (base32), unconfirmed until the first code from their app proves they hold it,
-- and the newest time step accepted, so a code is never accepted twice.
CREATE TABLE two_factor (
    user_id BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    secret TEXT NOT NULL,
    confirmed_at BIGINT,
    last_used_step BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

-- Single-use recovery codes, stored only as SHA-256 hashes (they are 80 random bits).
CREATE TABLE recovery_codes (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at BIGINT,
    UNIQUE (user_id, code_hash)
);

-- A session opened by a correct password of a user with two-factor sign-in waits for
-- its code: nothing but the code step accepts it.
ALTER TABLE sessions ADD COLUMN awaiting_code BOOLEAN NOT NULL DEFAULT FALSE;

-- The organisation's policy: owners and finance must use two-factor sign-in.
ALTER TABLE organizations ADD COLUMN two_factor_required BOOLEAN NOT NULL DEFAULT FALSE;

-- Which step of signing in an attempt was: the password, or the code after it. Each
-- step is throttled on its own.
ALTER TABLE sign_in_attempts ADD COLUMN step TEXT NOT NULL DEFAULT 'password';
