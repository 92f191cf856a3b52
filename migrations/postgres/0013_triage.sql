-- The reseller a contact was addressed to (intake.mailboxes), kept when no
-- client matched it: that reseller's staff may triage it in the bot ("Contatos
-- sem cliente"); a contact to no reseller's mailbox is the provider's to triage.
-- Kept in step with migrations/sqlite/0013_triage.sql.
ALTER TABLE intake_deliveries ADD COLUMN reseller_id BIGINT REFERENCES resellers(id);
CREATE INDEX intake_deliveries_triage ON intake_deliveries (status, reseller_id, id);
