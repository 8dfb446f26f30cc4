DELETE FROM gate_alerts WHERE kind = 'offline_conflict';
DROP TABLE offline_conflicts;
DROP TABLE device_pairings;
