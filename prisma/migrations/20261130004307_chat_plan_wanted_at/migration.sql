-- AlterTable
ALTER TABLE "Chat" ADD COLUMN     "planWantedAt" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "Chat_planWantedAt_idx" ON "Chat"("planWantedAt");

-- Chats stored before this column whose plan never ran (no draft, no calendar entry), still ahead
-- or over for less than a day: wanted now, so the reconciler plans them (it used to look for
-- exactly these on every run).
UPDATE "Chat" c SET "planWantedAt" = CURRENT_TIMESTAMP
WHERE c."status" <> 'cancelled'
  AND c."endUtc" > CURRENT_TIMESTAMP - INTERVAL '1 day'
  AND NOT EXISTS (SELECT 1 FROM "Draft" d WHERE d."chatId" = c."id")
  AND NOT EXISTS (SELECT 1 FROM "CalendarEntry" e WHERE e."chatId" = c."id");
