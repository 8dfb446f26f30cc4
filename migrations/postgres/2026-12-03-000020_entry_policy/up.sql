-- Entry rules per event: 'reentry' (after an exit the ticket is valid again, as before),
-- 'no-reentry' (one entry only) or 'once-per-day' (one entry per calendar day in the
-- event's time zone).
ALTER TABLE events ADD COLUMN entry_policy TEXT NOT NULL DEFAULT 'reentry'
    CHECK (entry_policy IN ('reentry', 'no-reentry', 'once-per-day'));
-- When the ticket was last let in (its scan's time), kept after it leaves: the entry
-- rules compare it with the scan's day. Set by the same UPDATE that admits it.
ALTER TABLE tickets ADD COLUMN last_entered_at BIGINT;
UPDATE tickets SET last_entered_at = (
    SELECT MAX(s.scanned_at) FROM scans s
    WHERE s.organization_id = tickets.organization_id AND s.event_id = tickets.event_id
      AND s.ticket_id = tickets.id AND s.direction = 'in' AND s.result = 'valid'
)
WHERE tickets.id IN (SELECT ticket_id FROM scans WHERE direction = 'in' AND result = 'valid' AND ticket_id IS NOT NULL);
