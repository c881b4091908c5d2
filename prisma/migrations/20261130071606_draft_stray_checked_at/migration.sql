-- AlterTable
ALTER TABLE "Draft" ADD COLUMN     "strayCheckedAt" TIMESTAMPTZ(3);
