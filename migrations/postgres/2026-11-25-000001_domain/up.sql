-- The whole domain. Times are unix milliseconds (UTC); money is integer minor units.
-- Every organisation-owned table carries organization_id, and every index starts with it.
CREATE TABLE organizations (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    timezone TEXT NOT NULL DEFAULT 'UTC',
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('owner', 'supervisor')),
    created_at BIGINT NOT NULL
);
CREATE INDEX users_org ON users (organization_id, email);

CREATE TABLE sessions (
    id BIGSERIAL PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE login_failures (
    id BIGSERIAL PRIMARY KEY,
    email TEXT NOT NULL,
    failed_at BIGINT NOT NULL
);
CREATE INDEX login_failures_email ON login_failures (email, failed_at);

CREATE TABLE events (
    id BIGSERIAL PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    name TEXT NOT NULL,
    venue TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    timezone TEXT NOT NULL,
    capacity BIGINT NOT NULL CHECK (capacity >= 0),
    currency TEXT NOT NULL,
    sales_open_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX events_org_start ON events (organization_id, starts_at);

CREATE TABLE ticket_types (
    id BIGSERIAL PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    event_id BIGINT NOT NULL REFERENCES events(id),
    name TEXT NOT NULL,
    price BIGINT NOT NULL CHECK (price >= 0),
    capacity BIGINT NOT NULL CHECK (capacity >= 0)
);
CREATE INDEX ticket_types_org_event ON ticket_types (organization_id, event_id);

CREATE TABLE orders (
    id BIGSERIAL PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    event_id BIGINT NOT NULL REFERENCES events(id),
    code TEXT NOT NULL,
    buyer_name TEXT NOT NULL,
    buyer_email TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'refunded', 'partially_refunded', 'cancelled')),
    gross BIGINT NOT NULL,
    fees BIGINT NOT NULL,
    net BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX orders_org_code ON orders (organization_id, code);
CREATE INDEX orders_org_created ON orders (organization_id, created_at, id);
CREATE INDEX orders_org_status_created ON orders (organization_id, status, created_at, id);
CREATE INDEX orders_org_event_created ON orders (organization_id, event_id, created_at, id);
CREATE INDEX orders_org_email ON orders (organization_id, buyer_email);

CREATE TABLE tickets (
    id BIGSERIAL PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    event_id BIGINT NOT NULL REFERENCES events(id),
    order_id BIGINT NOT NULL REFERENCES orders(id),
    ticket_type_id BIGINT NOT NULL REFERENCES ticket_types(id),
    code TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('valid', 'refunded', 'cancelled')),
    price BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX tickets_org_event_type ON tickets (organization_id, event_id, ticket_type_id, status);
CREATE INDEX tickets_org_event_created ON tickets (organization_id, event_id, created_at);
CREATE INDEX tickets_order ON tickets (organization_id, order_id);

CREATE TABLE gates (
    id BIGSERIAL PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    event_id BIGINT NOT NULL REFERENCES events(id),
    name TEXT NOT NULL
);
CREATE UNIQUE INDEX gates_org_event_name ON gates (organization_id, event_id, name);

CREATE TABLE devices (
    id BIGSERIAL PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    event_id BIGINT NOT NULL REFERENCES events(id),
    gate_id BIGINT NOT NULL REFERENCES gates(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    revoked_at BIGINT,
    last_heartbeat_at BIGINT,
    battery INTEGER,
    pending_uploads INTEGER,
    app_version TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX devices_org_event ON devices (organization_id, event_id, gate_id);

CREATE TABLE scans (
    id BIGSERIAL PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    event_id BIGINT NOT NULL REFERENCES events(id),
    device_scan_id TEXT NOT NULL,
    ticket_code TEXT NOT NULL,
    ticket_id BIGINT REFERENCES tickets(id),
    gate_id BIGINT NOT NULL REFERENCES gates(id),
    device_id BIGINT NOT NULL REFERENCES devices(id),
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    scanned_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    result TEXT NOT NULL CHECK (result IN ('valid', 'duplicate', 'invalid')),
    reason TEXT
);
CREATE UNIQUE INDEX scans_org_device_scan ON scans (organization_id, device_scan_id);
CREATE INDEX scans_org_event_id ON scans (organization_id, event_id, id);
CREATE INDEX scans_org_event_ticket ON scans (organization_id, event_id, ticket_id, id);

CREATE TABLE refunds (
    id BIGSERIAL PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    order_id BIGINT NOT NULL REFERENCES orders(id),
    amount BIGINT NOT NULL CHECK (amount > 0),
    idempotency_key TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX refunds_org_key ON refunds (organization_id, idempotency_key);
CREATE INDEX refunds_org_order ON refunds (organization_id, order_id);

CREATE TABLE email_outbox (
    id BIGSERIAL PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    order_id BIGINT REFERENCES orders(id),
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX email_outbox_due ON email_outbox (status, next_attempt_at);
CREATE INDEX email_outbox_org_order ON email_outbox (organization_id, order_id);

CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    user_id BIGINT REFERENCES users(id),
    action TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id BIGINT NOT NULL,
    details TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX audit_log_org_subject ON audit_log (organization_id, subject_type, subject_id, id);
