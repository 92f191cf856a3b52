-- The system is an actor of its own kind: a history entry made by intake or a
-- scheduled job names it in `actor_system` ('admin', 'intake', 'jobs') instead
-- of leaving the staff member empty.
ALTER TABLE ticket_events ADD COLUMN actor_system TEXT;

-- An outbox row may also go to a client, by e-mail, at the address chosen
-- when the row was written (acknowledgements, replies from the desk, overdue
-- notices). SQLite cannot change a CHECK in place, so the table is rebuilt.
-- Kept in step with migrations/postgres/0009_client_mail.sql.
CREATE TABLE outbox_new (
    id INTEGER PRIMARY KEY,
    event TEXT NOT NULL,
    recipient_id INTEGER REFERENCES staff(id),
    group_id INTEGER REFERENCES role_groups(id),
    client_id INTEGER REFERENCES clients(id),
    address TEXT,
    channel TEXT NOT NULL,
    kind TEXT NOT NULL,
    ticket_id INTEGER REFERENCES tickets(id),
    urgent INTEGER NOT NULL DEFAULT 1,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    claimed_until TEXT,
    claimed_by TEXT,
    last_error TEXT NOT NULL DEFAULT '',
    external_id TEXT,
    sent_at TEXT,
    created_at TEXT NOT NULL,
    CHECK ((recipient_id IS NOT NULL) + (group_id IS NOT NULL) + (client_id IS NOT NULL AND address IS NOT NULL) = 1)
);
INSERT INTO outbox_new (id, event, recipient_id, group_id, channel, kind, ticket_id, urgent, status, attempts,
    next_attempt_at, claimed_until, claimed_by, last_error, external_id, sent_at, created_at)
SELECT id, event, recipient_id, group_id, channel, kind, ticket_id, urgent, status, attempts,
    next_attempt_at, claimed_until, claimed_by, last_error, external_id, sent_at, created_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE UNIQUE INDEX outbox_event_staff ON outbox (event, recipient_id, channel);
CREATE UNIQUE INDEX outbox_event_group ON outbox (event, group_id, channel);
CREATE UNIQUE INDEX outbox_event_client ON outbox (event, client_id, channel);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_ticket ON outbox (ticket_id);
CREATE INDEX outbox_group ON outbox (group_id, status);
CREATE INDEX outbox_external ON outbox (external_id);

-- The address a client wrote from, on a ticket that came by e-mail or form:
-- answers from the desk go there.
ALTER TABLE tickets ADD COLUMN contact_email TEXT;
