CREATE INDEX ON telemetry.alerts USING btree (ack_by);
CREATE INDEX ON telemetry.alerts USING btree (escalated_to);
CREATE INDEX ON telemetry.alerts USING btree (acknowledged_at);
CREATE INDEX ON telemetry.devices USING btree (site_id);
CREATE INDEX ON telemetry.alerts USING btree (device_id);
CREATE INDEX ON telemetry.alerts USING btree (raised_at);
CREATE INDEX ON telemetry.alerts USING btree (severity);
