-- The arrival chart's grouped query (valid scans of an event per minute, gate and
-- direction) and its count of tickets ever admitted read this index alone.
CREATE INDEX scans_org_event_arrivals ON scans (organization_id, event_id, result, scanned_at, direction, gate_id, ticket_id);
