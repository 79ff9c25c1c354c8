CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE INDEX ON shipping.shipments (tenant_id, created_at, id);
CREATE INDEX ON shipping.shipments (tenant_id, priority DESC, promised_on) WHERE delivered_at IS NULL;
CREATE INDEX ON shipping.shipments (tenant_id, reference text_pattern_ops);
CREATE INDEX ON shipping.shipment_events (shipment_id);
CREATE INDEX ON shipping.dock_bookings USING gist (depot_id, during);
