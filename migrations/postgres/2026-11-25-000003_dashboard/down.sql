DROP INDEX tickets_org_event_inside;
CREATE INDEX tickets_org_event_inside ON tickets (organization_id, event_id) WHERE inside_since IS NOT NULL;
DROP INDEX tickets_org_event_type;
CREATE INDEX tickets_org_event_type ON tickets (organization_id, event_id, ticket_type_id, status);
DROP INDEX tickets_org_event_created;
CREATE INDEX tickets_org_event_created ON tickets (organization_id, event_id, created_at);
DROP TABLE ticket_sales_hourly;
