-- The order search: a trigram index (pg_trgm) of each order's buyer, name and e-mail,
-- folded (lower case, accents removed with unaccent), after organization_id
-- (btree_gin), so any part of a word or of an e-mail address (3 characters or more)
-- is found from the index. An expression index: every write keeps it in step.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS btree_gin;

-- unaccent() is only STABLE (its dictionary could change): this wrapper names the
-- dictionary, which makes it safe to index.
CREATE FUNCTION voelgoed_fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $$;

CREATE INDEX orders_search ON orders
    USING gin (organization_id, voelgoed_fold(buyer_name || ' ' || buyer_email) gin_trgm_ops);

-- Typo tolerance: every buyer-name word of 4 letters or more (folded), under itself and
-- each of its one-deletion variants, per organisation. Written by the application with
-- each order (src/orders/list/words.rs).
CREATE TABLE order_search_words (
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    variant TEXT NOT NULL,
    word TEXT NOT NULL,
    PRIMARY KEY (organization_id, variant, word)
);
