-- AlterTable
ALTER TABLE "Draft" ADD COLUMN     "draftedAt" TIMESTAMPTZ(3),
ADD COLUMN     "threadId" TEXT;
