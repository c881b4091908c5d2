-- AlterTable
ALTER TABLE "Draft" ADD COLUMN     "contentHash" TEXT,
ADD COLUMN     "context" JSONB;
