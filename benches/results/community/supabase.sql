CREATE INDEX ON community.posts USING btree (author_id);
CREATE INDEX ON community.follows USING btree (followee_id);
CREATE INDEX ON community.notifications USING btree (user_id);
CREATE INDEX ON community.users USING btree (email);
CREATE INDEX ON community.conversation_members USING btree (user_id);
