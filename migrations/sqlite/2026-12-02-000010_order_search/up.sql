-- The order search: a full-text index of each order's buyer (name and e-mail), kept in
-- step with the orders table by triggers. Trigram tokens match any part of a word or of
-- an e-mail address (3 characters or more), in any case, accents removed (é = e).
-- Contentless: the text lives in orders, the index holds only its trigrams.
--
-- The rowid is the list's newest-first order: created_at (ms) * 2^21 + the low 21 bits
-- of the order id, so the index hands out matches newest first and a page stops after
-- its rows, however many orders match. `org` holds '#<organization id>#', so one
-- organisation's matches are found without walking another's.
CREATE VIRTUAL TABLE order_search USING fts5(
    org,
    doc,
    content = '',
    contentless_delete = 1,
    tokenize = 'trigram remove_diacritics 1'
);

-- FTS5 writes rowids in increasing order cheaply and flushes its buffer on every step
-- back: existing orders go in in key order.
INSERT INTO order_search (rowid, org, doc)
SELECT created_at * 2097152 + (id & 2097151), '#' || organization_id || '#', buyer_name || ' ' || buyer_email
FROM orders ORDER BY 1;

-- A bulk load of orders in random time order (the seeder) would step back on nearly
-- every row: it pauses the insert trigger with a row here and rebuilds the index in key
-- order afterwards (orders::list::rebuild_text_index). Live sales come in time order.
CREATE TABLE order_search_paused (paused INTEGER PRIMARY KEY);

CREATE TRIGGER order_search_insert AFTER INSERT ON orders
WHEN NOT EXISTS (SELECT 1 FROM order_search_paused) BEGIN
    INSERT INTO order_search (rowid, org, doc)
    VALUES (NEW.created_at * 2097152 + (NEW.id & 2097151), '#' || NEW.organization_id || '#',
            NEW.buyer_name || ' ' || NEW.buyer_email);
END;

CREATE TRIGGER order_search_update AFTER UPDATE OF organization_id, buyer_name, buyer_email, created_at ON orders BEGIN
    DELETE FROM order_search WHERE rowid = OLD.created_at * 2097152 + (OLD.id & 2097151);
    INSERT INTO order_search (rowid, org, doc)
    VALUES (NEW.created_at * 2097152 + (NEW.id & 2097151), '#' || NEW.organization_id || '#',
            NEW.buyer_name || ' ' || NEW.buyer_email);
END;

CREATE TRIGGER order_search_delete AFTER DELETE ON orders BEGIN
    DELETE FROM order_search WHERE rowid = OLD.created_at * 2097152 + (OLD.id & 2097151);
END;

-- Typo tolerance: every buyer-name word of 4 letters or more (folded), under itself and
-- each of its one-deletion variants, per organisation. Written by the application with
-- each order (src/orders/list/words.rs), since folding accents needs Unicode tables.
CREATE TABLE order_search_words (
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    variant TEXT NOT NULL,
    word TEXT NOT NULL,
    PRIMARY KEY (organization_id, variant, word)
) WITHOUT ROWID;
