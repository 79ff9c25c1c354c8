CREATE INDEX ON learning.enrollments USING btree (course_id);
CREATE INDEX ON learning.forum_posts USING btree (course_id);
CREATE INDEX ON learning.learners USING btree (external_id);
CREATE INDEX ON learning.learners USING btree (display_name);
CREATE INDEX ON learning.forum_posts USING btree (flagged);
CREATE INDEX ON learning.submissions USING btree (assignment_id);
