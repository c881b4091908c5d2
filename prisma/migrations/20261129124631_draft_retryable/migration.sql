-- AlterTable
ALTER TABLE "Draft" ADD COLUMN     "retryable" BOOLEAN NOT NULL DEFAULT false;
