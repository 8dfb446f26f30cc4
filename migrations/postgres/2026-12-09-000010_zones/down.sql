DROP INDEX tickets_in_zone;
ALTER TABLE events DROP COLUMN has_zones;
ALTER TABLE events DROP COLUMN zone_mismatch;
ALTER TABLE tickets DROP COLUMN inside_zone_id;
ALTER TABLE gates DROP COLUMN to_zone_id;
ALTER TABLE gates DROP COLUMN from_zone_id;
DROP TABLE zone_corrections;
DROP TABLE zone_ticket_types;
DROP TABLE zones;
