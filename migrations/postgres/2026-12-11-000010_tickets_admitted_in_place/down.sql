ALTER TABLE tickets RESET (fillfactor);
CREATE INDEX IF NOT EXISTS tickets_org_event_inside ON tickets (organization_id, event_id, inside_since)
    WHERE inside_since IS NOT NULL;
