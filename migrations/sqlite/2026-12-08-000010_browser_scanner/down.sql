DELETE FROM gate_alerts WHERE kind = 'offline_conflict';
DROP INDEX scans_decided_offline;
ALTER TABLE scans DROP COLUMN decided_offline;
DROP TABLE device_pairings;
