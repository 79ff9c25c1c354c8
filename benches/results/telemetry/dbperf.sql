CREATE INDEX CONCURRENTLY alerts_to_tsvector_english_message_gin_idx ON telemetry.alerts USING gin ((to_tsvector('english', message)));
CREATE INDEX CONCURRENTLY alerts_raised_at_id_idx ON telemetry.alerts (raised_at, id);
CREATE INDEX CONCURRENTLY alerts_device_id_idx ON telemetry.alerts (device_id) INCLUDE (severity);
CREATE INDEX CONCURRENTLY alerts_raised_at_partial_idx ON telemetry.alerts (raised_at) WHERE acknowledged_at IS NULL;
CREATE INDEX CONCURRENTLY alerts_details_gin_idx ON telemetry.alerts USING gin (details jsonb_path_ops);
CREATE INDEX CONCURRENTLY alerts_ack_by_idx ON telemetry.alerts (ack_by);
CREATE INDEX CONCURRENTLY alerts_escalated_to_partial_idx ON telemetry.alerts (escalated_to) WHERE escalated_to IS NOT NULL;
CREATE INDEX CONCURRENTLY readings_ts_brin_idx ON telemetry.readings USING brin (ts);
