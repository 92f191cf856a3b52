-- Intake's inbox: each contact that arrives by e-mail (later also by form) is
-- stored here as it came, under a key unique per contact (its Message-ID, else
-- a digest of its bytes), before the sender hears "ok"; what processing made of
-- it (a ticket, a reply, ignored or failed, and why) is kept beside it.
-- Kept in step with migrations/postgres/0010_intake.sql.
CREATE TABLE intake_deliveries (
    id INTEGER PRIMARY KEY,
    dedup_key TEXT NOT NULL UNIQUE,
    channel TEXT NOT NULL,
    received_at TEXT NOT NULL,
    raw BLOB NOT NULL,
    sender TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'pending',
    reason TEXT NOT NULL DEFAULT '',
    ticket_id INTEGER REFERENCES tickets(id),
    attempts INTEGER NOT NULL DEFAULT 0,
    processed_at TEXT
);
CREATE INDEX intake_deliveries_status ON intake_deliveries (status, id);
