-- Secrets reminded whatever their dates say (compromised, rotating), by lifecycle: with it the
-- sweep's candidate queries read the owed rows by index, the due-by-date ones through
-- secrets_live_by_next_rotation and these through this one, instead of scanning the whole
-- inventory and, joined to it, the whole reminder ledger. The IN list is spelled as the sweep's
-- queries spell it (ReminderLedgerRepo), so SQLite sees that they imply it.
CREATE INDEX secrets_reminded_whatever_the_date ON secrets (lifecycle) WHERE lifecycle IN ('compromised', 'rotating');
