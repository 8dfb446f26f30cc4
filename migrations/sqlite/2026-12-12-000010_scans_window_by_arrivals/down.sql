CREATE INDEX IF NOT EXISTS scans_org_event_scanned_at ON scans (organization_id, event_id, scanned_at);
