/*
  Warnings:

  - You are about to drop the column `createdByUs` on the `Chat` table. All the data in the column will be lost.

*/
-- AlterEnum
ALTER TYPE "DraftStatus" ADD VALUE 'set_aside';

-- AlterTable
ALTER TABLE "Chat" DROP COLUMN "createdByUs";
