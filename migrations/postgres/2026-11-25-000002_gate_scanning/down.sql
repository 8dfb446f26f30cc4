DROP TABLE kiosk_links;
DROP TABLE gate_ticket_types;
DROP INDEX scans_device_scan;
CREATE UNIQUE INDEX scans_org_device_scan ON scans (organization_id, device_scan_id);
DROP INDEX tickets_org_event_inside;
ALTER TABLE tickets DROP COLUMN inside_gate_id;
ALTER TABLE tickets DROP COLUMN inside_since;
