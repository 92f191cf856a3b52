-- Each phone of a client's registration (national digits), indexed: intake
-- finds the client a form contact came from by phone when no e-mail matches.
-- Written with the client (Novo Cliente, imports); filled here for the clients
-- already stored. What intake remembers per contact to pace a sender: whether
-- it sent them an acknowledgement, looked up by sender and time.
-- Kept in step with migrations/postgres/0012_intake_routing.sql.
CREATE TABLE client_phones (
    phone TEXT NOT NULL,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    PRIMARY KEY (phone, client_id)
);
CREATE INDEX client_phones_client ON client_phones (client_id);
WITH RECURSIVE split(client_id, phone, rest) AS (
    SELECT id, '', TRIM(phones) || ' ' FROM clients WHERE TRIM(phones) <> ''
    UNION ALL
    SELECT client_id, SUBSTR(rest, 1, INSTR(rest, ' ') - 1), LTRIM(SUBSTR(rest, INSTR(rest, ' ') + 1))
    FROM split WHERE rest <> ''
)
INSERT INTO client_phones (phone, client_id) SELECT DISTINCT phone, client_id FROM split WHERE phone <> '';
ALTER TABLE intake_deliveries ADD COLUMN acknowledged INTEGER NOT NULL DEFAULT 0;
CREATE INDEX intake_deliveries_sender ON intake_deliveries (sender, processed_at);
