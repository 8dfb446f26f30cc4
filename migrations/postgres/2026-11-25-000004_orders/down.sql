DROP INDEX orders_org_id;
DROP INDEX orders_org_event_status_created;
DROP INDEX orders_org_name_lower;
