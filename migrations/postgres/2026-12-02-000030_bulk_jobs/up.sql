-- Bulk actions on orders run as jobs: the job (who asked, what, the form's key that
-- makes a resubmit return the same job, and the lease of the runner working on it),
-- its orders in the order they are processed, and each order's outcome.
CREATE TABLE bulk_jobs (
    id BIGSERIAL PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    job_key TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('resend', 'refund', 'export')),
    refund_reason TEXT,
    refund_note TEXT,
    total BIGINT NOT NULL,
    lease_until BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE UNIQUE INDEX bulk_jobs_org_key ON bulk_jobs (organization_id, job_key);
-- The runners look for unfinished jobs whose lease has run out.
CREATE INDEX bulk_jobs_unfinished ON bulk_jobs (lease_until) WHERE finished_at IS NULL;

-- order_id is what the form named: an id of another organisation (or none) is stored
-- refused, as "no such order", and never looked up again; so no foreign key.
CREATE TABLE bulk_job_orders (
    job_id BIGINT NOT NULL REFERENCES bulk_jobs(id),
    position BIGINT NOT NULL,
    order_id BIGINT NOT NULL,
    outcome TEXT CHECK (outcome IN ('done', 'refused', 'failed')),
    reason TEXT,
    PRIMARY KEY (job_id, position)
);
CREATE INDEX bulk_job_orders_outcome ON bulk_job_orders (job_id, outcome, position);
