-- A duplicate's answer names when and at which gate the holder was admitted; kept with
-- the scan so a resent scan id gets exactly its first answer back.
ALTER TABLE scans ADD COLUMN admitted_at BIGINT;
ALTER TABLE scans ADD COLUMN admitted_gate TEXT;
