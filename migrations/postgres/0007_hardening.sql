-- A webhook update that cannot be handled is set aside instead of being tried
-- forever: `attempts` counts the claims (a worker that dies mid-update leaves
-- its claim to expire and the update is claimed again), `failed_at` and
-- `failure` say when and why it was set aside. A set-aside update is also
-- done, so the same sender's later updates go on. Kept in step between
-- migrations/sqlite and migrations/postgres.
ALTER TABLE telegram_updates ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE telegram_updates ADD COLUMN failed_at TEXT;
ALTER TABLE telegram_updates ADD COLUMN failure TEXT;
CREATE INDEX telegram_updates_failed ON telegram_updates (failed_at) WHERE failed_at IS NOT NULL;
-- Who holds a claim: an instance that restarts takes back its own claims at
-- once instead of waiting for their lease to run out.
ALTER TABLE telegram_updates ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
