-- Every stored scan took a FOR KEY SHARE lock on its organisation, event, gate and
-- device rows: the same four rows for every scan of a gate, each lock a write to that
-- parent row (BENCHMARKS.md, 2026-12-07: without them the reconnect wave 1.38x, single
-- scans 1.18x). The scan writer takes these ids from the device's own row, which the
-- gates' token lookup read, and nothing deletes organisations, events, gates or
-- devices. The ticket's key stays: the admitting UPDATE holds that row anyway.
ALTER TABLE scans
    DROP CONSTRAINT IF EXISTS scans_organization_id_fkey,
    DROP CONSTRAINT IF EXISTS scans_event_id_fkey,
    DROP CONSTRAINT IF EXISTS scans_gate_id_fkey,
    DROP CONSTRAINT IF EXISTS scans_device_id_fkey;
