-- AlterTable
ALTER TABLE "Calendar" ADD COLUMN     "watchMessageNumber" BIGINT;
