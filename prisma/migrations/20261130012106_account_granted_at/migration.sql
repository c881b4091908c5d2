-- AlterTable
ALTER TABLE "Account" ADD COLUMN     "grantedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- Accounts connected before this column: granted when they were first connected.
UPDATE "Account" SET "grantedAt" = "createdAt";
