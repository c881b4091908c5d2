-- AlterTable
ALTER TABLE "Chat" ADD COLUMN     "planWantedAt" TIMESTAMPTZ(3);
