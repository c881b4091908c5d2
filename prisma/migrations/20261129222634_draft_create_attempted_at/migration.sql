-- AlterTable
ALTER TABLE "Draft" ADD COLUMN     "createAttemptedAt" TIMESTAMPTZ(3);
