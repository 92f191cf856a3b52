-- Financeiro explains a paid bill: each baixa says how it was paid (method)
-- and by whom it was recorded (a staff member, a payment gateway, or the
-- import from the ERP). Baixas imported so far carried 'Importação' as their
-- method; it is who recorded them, not how the client paid.
-- Kept in step with migrations/postgres/0015_settlement_author.sql.
ALTER TABLE settlements ADD COLUMN recorded_by TEXT NOT NULL DEFAULT '';
UPDATE settlements SET recorded_by = 'Importação', method = '' WHERE method = 'Importação';
