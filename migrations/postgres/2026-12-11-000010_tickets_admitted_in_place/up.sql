-- Admitting a ticket rewrites its row. On PostgreSQL an index on a column the UPDATE
-- changes (here the partial index of who is inside, on inside_since) rules out a
-- heap-only update: every admission wrote a new entry into each of the table's six
-- indexes (44 µs a ticket in a single-scan run against ~20 with heap-only updates).
-- Without it, and with room left on each page for the row's next version, an
-- admission touches no index. Who is inside is counted by the live counters; the
-- queries that read it from the table (the counters' rebuild at start-up, the
-- capacity alert's moment) find an event's tickets by their other indexes.
-- The room applies to pages written from now on; `VACUUM FULL tickets` rewrites the
-- existing ones with it.
DROP INDEX IF EXISTS tickets_org_event_inside;
ALTER TABLE tickets SET (fillfactor = 90);
