CREATE INDEX CONCURRENTLY shipment_events_shipment_id_idx ON shipping.shipment_events (shipment_id);
CREATE INDEX CONCURRENTLY shipments_tenant_id_reference_text_pattern_ops_idx ON shipping.shipments (tenant_id, reference text_pattern_ops);
CREATE INDEX CONCURRENTLY shipments_tenant_id_priority_promised_on_partial_idx ON shipping.shipments (tenant_id, priority DESC, promised_on) WHERE delivered_at IS NULL;
CREATE INDEX CONCURRENTLY shipments_tenant_id_created_at_id_idx ON shipping.shipments (tenant_id, created_at, id);
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE INDEX CONCURRENTLY dock_bookings_depot_id_during_gist_idx ON shipping.dock_bookings USING gist (depot_id, during);
