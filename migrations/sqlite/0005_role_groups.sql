-- Role group chats: a Telegram group where a role hears of its tickets instead
-- of each member privately, for one reseller or (reseller_id NULL) for every
-- reseller without a group of its own. Kept in step with
-- migrations/postgres/0005_role_groups.sql.
CREATE TABLE role_groups (
    id INTEGER PRIMARY KEY,
    role_id INTEGER NOT NULL REFERENCES roles(id),
    reseller_id INTEGER REFERENCES resellers(id),
    chat_id INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    -- When it stopped being used; kept so that the notices sent there can still be edited.
    removed_at TEXT
);
CREATE UNIQUE INDEX role_groups_scope ON role_groups (role_id, COALESCE(reseller_id, 0)) WHERE removed_at IS NULL;

-- An outbox row is for a staff member or for a role group: SQLite cannot drop
-- NOT NULL from recipient_id in place, so the table is rebuilt.
CREATE TABLE outbox_new (
    id INTEGER PRIMARY KEY,
    event TEXT NOT NULL,
    recipient_id INTEGER REFERENCES staff(id),
    group_id INTEGER REFERENCES role_groups(id),
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
    CHECK ((recipient_id IS NULL) <> (group_id IS NULL))
);
INSERT INTO outbox_new (id, event, recipient_id, channel, kind, ticket_id, urgent, status, attempts,
    next_attempt_at, claimed_until, last_error, external_id, sent_at, created_at)
SELECT id, event, recipient_id, channel, kind, ticket_id, urgent, status, attempts,
    next_attempt_at, claimed_until, last_error, external_id, sent_at, created_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE UNIQUE INDEX outbox_event_staff ON outbox (event, recipient_id, channel);
CREATE UNIQUE INDEX outbox_event_group ON outbox (event, group_id, channel);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_ticket ON outbox (ticket_id);
CREATE INDEX outbox_group ON outbox (group_id, status);
CREATE INDEX outbox_external ON outbox (external_id);
