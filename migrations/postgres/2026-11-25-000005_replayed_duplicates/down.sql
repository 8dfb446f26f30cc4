ALTER TABLE scans DROP COLUMN admitted_gate;
ALTER TABLE scans DROP COLUMN admitted_at;
