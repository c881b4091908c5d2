-- Drafts the worker set aside were stored as discarded with a 'dropped: ' prefix on lastError;
-- they get their own status (added by the previous migration, which must commit first) and keep
-- the reason without the prefix.
UPDATE "Draft"
SET "status" = 'set_aside', "lastError" = substr("lastError", 10)
WHERE "status" = 'discarded' AND "lastError" LIKE 'dropped: %';
