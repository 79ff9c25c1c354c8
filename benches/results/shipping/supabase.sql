CREATE INDEX ON shipping.shipment_events USING btree (shipment_id);
CREATE INDEX ON shipping.shipments USING btree (delivered_at);
CREATE INDEX ON shipping.shipments USING btree (tenant_id);
