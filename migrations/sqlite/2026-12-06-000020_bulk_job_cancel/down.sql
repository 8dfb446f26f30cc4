CREATE TABLE bulk_job_orders_previous (
    job_id BIGINT NOT NULL REFERENCES bulk_jobs(id),
    position BIGINT NOT NULL,
    order_id BIGINT NOT NULL,
    outcome TEXT CHECK (outcome IN ('done', 'refused', 'failed')),
    reason TEXT,
    PRIMARY KEY (job_id, position)
);
INSERT INTO bulk_job_orders_previous (job_id, position, order_id, outcome, reason)
    SELECT job_id, position, order_id,
           CASE outcome WHEN 'cancelled' THEN 'refused' ELSE outcome END, reason
    FROM bulk_job_orders;
DROP TABLE bulk_job_orders;
ALTER TABLE bulk_job_orders_previous RENAME TO bulk_job_orders;
CREATE INDEX bulk_job_orders_outcome ON bulk_job_orders (job_id, outcome, position);
