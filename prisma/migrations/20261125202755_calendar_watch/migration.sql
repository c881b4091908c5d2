/*
  Warnings:

  - A unique constraint covering the columns `[watchChannelId]` on the table `Calendar` will be added. If there are existing duplicate values, this will fail.

*/
-- AlterTable
ALTER TABLE "Calendar" ADD COLUMN     "watchChannelId" TEXT,
ADD COLUMN     "watchExpiresAt" TIMESTAMPTZ(3),
ADD COLUMN     "watchResourceId" TEXT,
ADD COLUMN     "watchToken" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "Calendar_watchChannelId_key" ON "Calendar"("watchChannelId");
