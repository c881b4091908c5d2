-- AlterTable
ALTER TABLE "CalendarEntry" ADD COLUMN     "claimedUntil" TIMESTAMPTZ(3),
ADD COLUMN     "claims" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "version" TEXT;

-- AlterTable
ALTER TABLE "Chat" ADD COLUMN     "waiting" TEXT;

-- AlterTable
ALTER TABLE "Draft" ADD COLUMN     "claimedUntil" TIMESTAMPTZ(3),
ADD COLUMN     "claims" INTEGER NOT NULL DEFAULT 0;
