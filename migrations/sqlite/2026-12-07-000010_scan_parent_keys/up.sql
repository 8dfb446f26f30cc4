-- PostgreSQL drops the scans' keys to their organisation, event, gate and device here
-- (each a row lock on a parent every scan shares). SQLite checks keys in process,
-- without locking a row, and would have to rebuild the table to drop them: kept.
SELECT 1;
