-- Zones: the areas of an event that have a capacity of their own (the arena, the VIP
-- deck, backstage). "Outside" is no row: a ticket not inside is outside every zone.
-- `inside` is how many tickets are in the zone now, kept by the gate engine in the
-- scan's own transaction (the row is locked on PostgreSQL, so two instances count
-- exactly); `correction` is what supervisors' headcounts added on top of it (people
-- counted who never scanned, or left without scanning), so the zone shows
-- inside + correction.
CREATE TABLE zones (
    id BIGSERIAL PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    event_id BIGINT NOT NULL REFERENCES events(id),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
    capacity BIGINT NOT NULL CHECK (capacity > 0),
    when_full TEXT NOT NULL DEFAULT 'warn' CHECK (when_full IN ('warn', 'refuse')),
    inside BIGINT NOT NULL DEFAULT 0,
    correction BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX zones_org_event_name ON zones (organization_id, event_id, name);

-- The ticket types a zone lets in; a zone without rows lets in every type.
CREATE TABLE zone_ticket_types (
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    zone_id BIGINT NOT NULL REFERENCES zones(id),
    ticket_type_id BIGINT NOT NULL REFERENCES ticket_types(id),
    PRIMARY KEY (zone_id, ticket_type_id)
);

-- Every headcount a supervisor entered: what they counted, what the console showed
-- then, and the correction it left (the zone's `correction` after it).
CREATE TABLE zone_corrections (
    id BIGSERIAL PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    event_id BIGINT NOT NULL REFERENCES events(id),
    zone_id BIGINT NOT NULL REFERENCES zones(id),
    counted BIGINT NOT NULL,
    shown BIGINT NOT NULL,
    correction BIGINT NOT NULL,
    user_id BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX zone_corrections_of_zone ON zone_corrections (organization_id, zone_id, id);

-- A gate is a passage from one zone to another: from_zone_id NULL is outside; a gate
-- without to_zone_id keeps its old meaning (outside <-> the event, in no zone).
ALTER TABLE gates ADD COLUMN from_zone_id BIGINT REFERENCES zones(id);
ALTER TABLE gates ADD COLUMN to_zone_id BIGINT REFERENCES zones(id);
-- The zone a ticket's holder is in (NULL: outside, or inside in no zone).
ALTER TABLE tickets ADD COLUMN inside_zone_id BIGINT REFERENCES zones(id);
-- Who is in which zone, for the counters' rebuild (only zoned events' tickets are in it).
CREATE INDEX tickets_in_zone ON tickets (organization_id, event_id, inside_zone_id) WHERE inside_zone_id IS NOT NULL;
-- A scan that assumes the holder is in a zone they are not in: 'admit' (and correct
-- the count: they are where the scan says) or 'refuse' ("not in Arena").
ALTER TABLE events ADD COLUMN zone_mismatch TEXT NOT NULL DEFAULT 'admit'
    CHECK (zone_mismatch IN ('admit', 'refuse'));
-- Whether the event has zones (set with its first zone; zones are not deleted): the
-- gate engine reads it with the entry rules it reads anyway, and decides the scans of
-- an event without zones on its one-statement path.
ALTER TABLE events ADD COLUMN has_zones BOOLEAN NOT NULL DEFAULT FALSE;
