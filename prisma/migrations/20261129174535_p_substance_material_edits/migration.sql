-- CreateEnum
CREATE TYPE "MaterialKind" AS ENUM ('article', 'update');

-- AlterTable
ALTER TABLE "Draft" ADD COLUMN     "draftedText" TEXT,
ADD COLUMN     "editDistance" DOUBLE PRECISION;

-- CreateTable
CREATE TABLE "ContactMaterial" (
    "id" TEXT NOT NULL,
    "contactId" TEXT NOT NULL,
    "kind" "MaterialKind" NOT NULL,
    "url" TEXT,
    "text" TEXT,
    "draftId" TEXT,
    "usedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ContactMaterial_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ContactMaterial_contactId_usedAt_idx" ON "ContactMaterial"("contactId", "usedAt");

-- AddForeignKey
ALTER TABLE "ContactMaterial" ADD CONSTRAINT "ContactMaterial_contactId_fkey" FOREIGN KEY ("contactId") REFERENCES "Contact"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ContactMaterial" ADD CONSTRAINT "ContactMaterial_draftId_fkey" FOREIGN KEY ("draftId") REFERENCES "Draft"("id") ON DELETE SET NULL ON UPDATE CASCADE;
