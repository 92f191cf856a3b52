-- Telegram updates received by the webhook: stored before answering 200,
-- handled afterwards. Kept in step with migrations/postgres/0003_telegram_inbox.sql.
CREATE TABLE telegram_updates (
    update_id INTEGER PRIMARY KEY,
    payload TEXT NOT NULL,
    received_at TEXT NOT NULL,
    claimed_until TEXT,
    done_at TEXT
);
CREATE INDEX telegram_updates_pending ON telegram_updates (done_at, update_id);
