CREATE INDEX ON helpdesk.tickets USING btree (customer_id);
CREATE INDEX ON helpdesk.comments USING btree (ticket_id);
CREATE INDEX ON helpdesk.tickets USING btree (created_at);
CREATE INDEX ON helpdesk.tickets USING btree (cc_customer_id);
CREATE INDEX ON helpdesk.ticket_watchers USING btree (agent_id);
CREATE INDEX ON helpdesk.customers USING btree (handle);
CREATE INDEX ON helpdesk.agents USING btree (team);
