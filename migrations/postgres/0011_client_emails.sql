-- Each address of a client's registration, lower case, indexed: intake finds
-- the client an e-mail came from without reading every registration. Written
-- with the client (Novo Cliente, imports); filled here for the clients
-- already stored. Kept in step with migrations/sqlite/0011_client_emails.sql.
CREATE TABLE client_emails (
    email TEXT NOT NULL,
    client_id BIGINT NOT NULL REFERENCES clients(id),
    PRIMARY KEY (email, client_id)
);
CREATE INDEX client_emails_client ON client_emails (client_id);
INSERT INTO client_emails (email, client_id)
SELECT DISTINCT e, id FROM clients, regexp_split_to_table(LOWER(TRIM(emails)), '\s+') AS e
WHERE TRIM(emails) <> '' AND e <> '';
