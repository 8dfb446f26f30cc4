-- A bulk job can be cancelled: the orders it had not reached are recorded 'cancelled'.
-- SQLite cannot change a CHECK constraint in place: the table is rebuilt.
CREATE TABLE bulk_job_orders_next (
    job_id BIGINT NOT NULL REFERENCES bulk_jobs(id),
    position BIGINT NOT NULL,
    order_id BIGINT NOT NULL,
    outcome TEXT CHECK (outcome IN ('done', 'refused', 'failed', 'cancelled')),
    reason TEXT,
    PRIMARY KEY (job_id, position)
);
INSERT INTO bulk_job_orders_next (job_id, position, order_id, outcome, reason)
    SELECT job_id, position, order_id, outcome, reason FROM bulk_job_orders;
DROP TABLE bulk_job_orders;
ALTER TABLE bulk_job_orders_next RENAME TO bulk_job_orders;
CREATE INDEX bulk_job_orders_outcome ON bulk_job_orders (job_id, outcome, position);
