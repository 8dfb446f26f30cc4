-- Refunds say why: a reason from a short list (refunds made before say 'other') and an
-- optional note the owner wrote, trimmed and at most 500 characters.
ALTER TABLE refunds ADD COLUMN reason TEXT NOT NULL DEFAULT 'other'
    CHECK (reason IN ('buyer_request', 'event_change', 'duplicate_order', 'fraud', 'other'));
ALTER TABLE refunds ADD COLUMN note TEXT CHECK (length(note) <= 500);
