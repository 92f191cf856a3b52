-- The notification outbox: one row per (event, recipient, channel), written in
-- the same transaction as the change that causes it, sent by the dispatcher.
-- Kept in step with migrations/postgres/0004_outbox.sql.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    event TEXT NOT NULL,
    recipient_id INTEGER NOT NULL REFERENCES staff(id),
    channel TEXT NOT NULL,
    kind TEXT NOT NULL,
    ticket_id INTEGER REFERENCES tickets(id),
    urgent INTEGER NOT NULL DEFAULT 1,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    claimed_until TEXT,
    last_error TEXT NOT NULL DEFAULT '',
    external_id TEXT,
    sent_at TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (event, recipient_id, channel)
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_ticket ON outbox (ticket_id);

-- Staff who blocked the bot: Telegram answered 403; they get no more messages until they write again.
ALTER TABLE staff ADD COLUMN telegram_unreachable INTEGER NOT NULL DEFAULT 0;
