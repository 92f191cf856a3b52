-- Each phone of a client's registration (national digits), indexed: intake
-- finds the client a form contact came from by phone when no e-mail matches.
-- Written with the client (Novo Cliente, imports); filled here for the clients
-- already stored. What intake remembers per contact to pace a sender: whether
-- it sent them an acknowledgement, looked up by sender and time.
-- Kept in step with migrations/sqlite/0012_intake_routing.sql.
CREATE TABLE client_phones (
    phone TEXT NOT NULL,
    client_id BIGINT NOT NULL REFERENCES clients(id),
    PRIMARY KEY (phone, client_id)
);
CREATE INDEX client_phones_client ON client_phones (client_id);
INSERT INTO client_phones (phone, client_id)
SELECT DISTINCT p, id FROM clients, regexp_split_to_table(TRIM(phones), '\s+') AS p
WHERE TRIM(phones) <> '' AND p <> '';
ALTER TABLE intake_deliveries ADD COLUMN acknowledged BIGINT NOT NULL DEFAULT 0;
CREATE INDEX intake_deliveries_sender ON intake_deliveries (sender, processed_at);
