CREATE INDEX CONCURRENTLY IF NOT EXISTS alerts_device_id_idx ON telemetry.alerts (device_id) INCLUDE (severity);
CREATE INDEX CONCURRENTLY IF NOT EXISTS alerts_acknowledged_at_raised_at_idx ON telemetry.alerts (acknowledged_at, raised_at);
CREATE INDEX CONCURRENTLY IF NOT EXISTS alerts_raised_at_id_idx ON telemetry.alerts (raised_at, id);
