DROP TABLE bulk_job_orders;
DROP TABLE bulk_jobs;
