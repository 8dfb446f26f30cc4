-- Order management: indexes that serve the order list's filters and its free-text
-- search, always after organization_id. Codes are stored upper-case and e-mail
-- addresses lower-case, so their existing indexes serve prefix ranges; buyer names get
-- an index on their lower-cased form.
CREATE INDEX orders_org_name_lower ON orders (organization_id, lower(buyer_name));
CREATE INDEX orders_org_event_status_created ON orders (organization_id, event_id, status, created_at, id);
-- The live list asks for the orders placed after the newest one it shows.
CREATE INDEX orders_org_id ON orders (organization_id, id);
