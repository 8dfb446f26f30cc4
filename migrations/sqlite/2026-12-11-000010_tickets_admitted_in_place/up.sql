-- PostgreSQL only: SQLite rewrites only the indexes whose columns an UPDATE
-- changes, so its partial index of who is inside stays.
SELECT 1;
