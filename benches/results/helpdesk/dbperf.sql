CREATE INDEX CONCURRENTLY IF NOT EXISTS tickets_customer_id_created_at_idx ON helpdesk.tickets (customer_id, created_at);
CREATE INDEX CONCURRENTLY IF NOT EXISTS comments_ticket_id_idx ON helpdesk.comments (ticket_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS tickets_assignee_id_created_at_idx ON helpdesk.tickets (assignee_id, created_at);
CREATE INDEX CONCURRENTLY IF NOT EXISTS customers_handle_idx ON helpdesk.customers (handle) INCLUDE (id);
