-- The system is an actor of its own kind: a history entry made by intake or a
-- scheduled job names it in `actor_system` ('admin', 'intake', 'jobs') instead
-- of leaving the staff member empty.
ALTER TABLE ticket_events ADD COLUMN actor_system TEXT;

-- An outbox row may also go to a client, by e-mail, at the address chosen
-- when the row was written (acknowledgements, replies from the desk, overdue
-- notices). Kept in step with migrations/sqlite/0009_client_mail.sql.
ALTER TABLE outbox ADD COLUMN client_id BIGINT REFERENCES clients(id);
ALTER TABLE outbox ADD COLUMN address TEXT;
ALTER TABLE outbox DROP CONSTRAINT outbox_one_recipient;
ALTER TABLE outbox ADD CONSTRAINT outbox_one_recipient CHECK (
    (recipient_id IS NOT NULL)::int + (group_id IS NOT NULL)::int + (client_id IS NOT NULL AND address IS NOT NULL)::int = 1
);
CREATE UNIQUE INDEX outbox_event_client ON outbox (event, client_id, channel);

-- The address a client wrote from, on a ticket that came by e-mail or form:
-- answers from the desk go there.
ALTER TABLE tickets ADD COLUMN contact_email TEXT;
