-- New clients' códigos continue from the highest numeric code already in use
-- (imports bring codes like 1001..1500; Novo Cliente then gives 1501, not 1).
-- The counter is set once here from the clients stored; imports keep it in
-- step from now on. Kept in step with migrations/postgres/0014_client_codes.sql.
INSERT INTO counters (name, value)
SELECT 'client_code', COALESCE(MAX(CAST(code AS INTEGER)), 0) FROM clients
WHERE code <> '' AND code NOT GLOB '*[^0-9]*' AND LENGTH(code) <= 18
ON CONFLICT (name) DO UPDATE SET value = CASE WHEN counters.value < excluded.value THEN excluded.value ELSE counters.value END;
