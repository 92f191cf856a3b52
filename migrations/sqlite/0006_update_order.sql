-- Webhook updates of one person are handled one at a time and in order, even
-- by several instances: an update waits while an older one of the same
-- sender is not done. Kept in step between migrations/sqlite and migrations/postgres.
ALTER TABLE telegram_updates ADD COLUMN sender_id BIGINT;
CREATE INDEX telegram_updates_sender ON telegram_updates (sender_id, update_id) WHERE done_at IS NULL;
