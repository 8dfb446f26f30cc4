UPDATE bulk_job_orders SET outcome = 'refused' WHERE outcome = 'cancelled';
ALTER TABLE bulk_job_orders DROP CONSTRAINT bulk_job_orders_outcome_check;
ALTER TABLE bulk_job_orders ADD CONSTRAINT bulk_job_orders_outcome_check
    CHECK (outcome IN ('done', 'refused', 'failed'));
