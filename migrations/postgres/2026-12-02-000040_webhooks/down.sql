DROP TABLE webhook_alerts;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
