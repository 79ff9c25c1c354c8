CREATE INDEX CONCURRENTLY enrollments_course_id_score_nulls_first_idx ON learning.enrollments (course_id, score NULLS FIRST);
CREATE INDEX CONCURRENTLY learners_external_id_idx ON learning.learners (external_id);
CREATE INDEX CONCURRENTLY forum_posts_created_at_partial_idx ON learning.forum_posts (created_at) WHERE flagged;
CREATE INDEX CONCURRENTLY forum_posts_course_id_created_at_idx ON learning.forum_posts (course_id, created_at);
CREATE INDEX CONCURRENTLY submissions_assignment_id_idx ON learning.submissions (assignment_id);
CREATE INDEX CONCURRENTLY learners_lower_display_name_pattern_idx ON learning.learners ((lower(display_name)) text_pattern_ops);
CREATE INDEX CONCURRENTLY certificates_enrollment_id_idx ON learning.certificates (enrollment_id);
CREATE INDEX CONCURRENTLY live_sessions_ends_at_brin_idx ON learning.live_sessions USING brin (ends_at);
CREATE INDEX CONCURRENTLY assignments_coalesce_extended_due_at_due_at_idx ON learning.assignments ((coalesce(extended_due_at, due_at)));
