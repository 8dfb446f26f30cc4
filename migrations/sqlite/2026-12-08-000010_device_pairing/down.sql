DROP TABLE device_pairings;
