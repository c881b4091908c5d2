-- AlterTable
ALTER TABLE "CalendarEntry" ADD COLUMN     "generation" INTEGER NOT NULL DEFAULT 0;
