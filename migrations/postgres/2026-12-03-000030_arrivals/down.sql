DROP INDEX scans_org_event_arrivals;
