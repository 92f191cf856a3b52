-- Each address of a client's registration, lower case, indexed: intake finds
-- the client an e-mail came from without reading every registration. Written
-- with the client (Novo Cliente, imports); filled here for the clients
-- already stored. Kept in step with migrations/postgres/0011_client_emails.sql.
CREATE TABLE client_emails (
    email TEXT NOT NULL,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    PRIMARY KEY (email, client_id)
);
CREATE INDEX client_emails_client ON client_emails (client_id);
WITH RECURSIVE split(client_id, email, rest) AS (
    SELECT id, '', LOWER(TRIM(emails)) || ' ' FROM clients WHERE TRIM(emails) <> ''
    UNION ALL
    SELECT client_id, SUBSTR(rest, 1, INSTR(rest, ' ') - 1), LTRIM(SUBSTR(rest, INSTR(rest, ' ') + 1))
    FROM split WHERE rest <> ''
)
INSERT INTO client_emails (email, client_id) SELECT DISTINCT email, client_id FROM split WHERE email <> '';
