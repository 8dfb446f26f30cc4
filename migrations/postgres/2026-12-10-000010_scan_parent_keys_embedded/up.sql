-- PostgreSQL dropped these keys in 2026-12-07-000010_scan_parent_keys; this one
-- rebuilds SQLite's table to drop them there too.
SELECT 1;
