DELETE FROM gate_alerts WHERE kind = 'offline_conflict';
ALTER TABLE gate_alerts DROP CONSTRAINT gate_alerts_kind_check;
ALTER TABLE gate_alerts ADD CONSTRAINT gate_alerts_kind_check
    CHECK (kind IN ('invalid_spike', 'counterfeit_batch', 'ticket_passing', 'device_silent', 'low_battery'));
DROP TABLE offline_conflicts;
DROP TABLE device_pairings;
