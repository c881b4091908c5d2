-- CreateEnum
CREATE TYPE "ContactConnection" AS ENUM ('alumni', 'mutual', 'colleague', 'cold');

-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "DraftKind" ADD VALUE 'intro_request';
ALTER TYPE "DraftKind" ADD VALUE 'follow_up';

-- AlterTable
ALTER TABLE "Contact" ADD COLUMN     "company" TEXT,
ADD COLUMN     "connection" "ContactConnection",
ADD COLUMN     "introThreadId" TEXT,
ADD COLUMN     "introducedAt" TIMESTAMPTZ(3),
ADD COLUMN     "introducerId" TEXT,
ADD COLUMN     "reason" TEXT,
ADD COLUMN     "repliedAt" TIMESTAMPTZ(3),
ADD COLUMN     "role" TEXT;

-- AddForeignKey
ALTER TABLE "Contact" ADD CONSTRAINT "Contact_introducerId_fkey" FOREIGN KEY ("introducerId") REFERENCES "Contact"("id") ON DELETE SET NULL ON UPDATE CASCADE;
