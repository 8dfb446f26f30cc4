-- Every stored scan wrote an entry into each index of `scans`. The time-window reads
-- this one served (the gate-alert detector's silent devices, the counters' last
-- minute of one event) name every result and read the arrivals index instead,
-- `(organization_id, event_id, result, scanned_at, …)`: three short range scans.
DROP INDEX IF EXISTS scans_org_event_scanned_at;
