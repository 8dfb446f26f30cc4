ALTER TABLE tickets DROP COLUMN last_entered_at;
ALTER TABLE events DROP COLUMN entry_policy;
