-- Values an import could not read (a phone without DDD, a CPF with wrong
-- check digits, "Sao Paolo" as UF) are kept on the client as they came, one
-- per line as "field<TAB>raw text", and shown as "não verificado".
-- Kept in step with migrations/postgres/0008_unverified.sql.
ALTER TABLE clients ADD COLUMN unverified TEXT NOT NULL DEFAULT '';
