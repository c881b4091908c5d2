-- AlterTable
ALTER TABLE "CalendarEntry" ADD COLUMN     "failedAt" TIMESTAMPTZ(3),
ADD COLUMN     "lastError" TEXT;
