DROP INDEX IF EXISTS scans_org_event_scanned_at;
DROP TABLE gate_alerts;
