-- CreateEnum
CREATE TYPE "Provider" AS ENUM ('google', 'microsoft');

-- CreateEnum
CREATE TYPE "AccountStatus" AS ENUM ('active', 'needs_reconnect', 'disabled');

-- CreateEnum
CREATE TYPE "ChatStatus" AS ENUM ('upcoming', 'done', 'cancelled');

-- CreateEnum
CREATE TYPE "DraftKind" AS ENUM ('confirmation', 'thank_you', 'check_in', 'outreach');

-- CreateEnum
CREATE TYPE "DraftStatus" AS ENUM ('scheduled', 'created', 'sent', 'discarded', 'failed');

-- CreateEnum
CREATE TYPE "EntryKind" AS ENUM ('prep', 'invite');

-- CreateEnum
CREATE TYPE "CheckInStatus" AS ENUM ('active', 'stopped');

-- CreateTable
CREATE TABLE "User" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "timeZone" TEXT NOT NULL DEFAULT 'UTC',
    "signature" TEXT NOT NULL DEFAULT '',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Account" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "provider" "Provider" NOT NULL,
    "email" TEXT NOT NULL,
    "displayName" TEXT,
    "refreshTokenEnc" TEXT NOT NULL,
    "tokenKeyId" TEXT NOT NULL,
    "scopes" TEXT[],
    "status" "AccountStatus" NOT NULL DEFAULT 'active',
    "timeZone" TEXT,
    "lastSyncAt" TIMESTAMPTZ(3),
    "lastError" TEXT,
    "lastErrorAt" TIMESTAMPTZ(3),
    "rateLimitedUntil" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Account_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Calendar" (
    "id" TEXT NOT NULL,
    "accountId" TEXT NOT NULL,
    "providerCalendarId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "primary" BOOLEAN NOT NULL DEFAULT false,
    "selected" BOOLEAN NOT NULL DEFAULT false,
    "timeZone" TEXT,
    "syncCursor" TEXT,
    "lastFullSyncAt" TIMESTAMPTZ(3),
    "lastSyncAt" TIMESTAMPTZ(3),
    "fullSyncCount" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "Calendar_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Event" (
    "id" TEXT NOT NULL,
    "calendarId" TEXT NOT NULL,
    "providerEventId" TEXT NOT NULL,
    "iCalUid" TEXT,
    "title" TEXT NOT NULL,
    "startUtc" TIMESTAMPTZ(3),
    "endUtc" TIMESTAMPTZ(3),
    "timeZone" TEXT,
    "allDay" BOOLEAN NOT NULL DEFAULT false,
    "cancelled" BOOLEAN NOT NULL DEFAULT false,
    "payload" JSONB NOT NULL,
    "isChat" BOOLEAN NOT NULL DEFAULT false,
    "reasons" TEXT[],
    "override" TEXT,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Event_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Contact" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT,
    "timeZone" TEXT,
    "timeZoneSource" TEXT,
    "doNotContact" BOOLEAN NOT NULL DEFAULT false,
    "lastMailExchangedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Contact_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Chat" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "accountId" TEXT NOT NULL,
    "eventId" TEXT,
    "providerEventId" TEXT NOT NULL,
    "iCalUid" TEXT,
    "contactId" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "startUtc" TIMESTAMPTZ(3) NOT NULL,
    "endUtc" TIMESTAMPTZ(3) NOT NULL,
    "timeZone" TEXT NOT NULL,
    "status" "ChatStatus" NOT NULL DEFAULT 'upcoming',
    "detectionReasons" TEXT[],
    "note" TEXT,
    "conferenceUrl" TEXT,
    "location" TEXT,
    "createdByUs" BOOLEAN NOT NULL DEFAULT false,
    "seenLate" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Chat_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Draft" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "accountId" TEXT NOT NULL,
    "kind" "DraftKind" NOT NULL,
    "chatId" TEXT,
    "contactId" TEXT,
    "providerDraftId" TEXT,
    "internetMessageId" TEXT,
    "version" TEXT,
    "webLink" TEXT,
    "idempotencyKey" TEXT NOT NULL,
    "status" "DraftStatus" NOT NULL DEFAULT 'scheduled',
    "subject" TEXT,
    "dueAt" TIMESTAMPTZ(3) NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    "sentAt" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lastError" TEXT,

    CONSTRAINT "Draft_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CalendarEntry" (
    "id" TEXT NOT NULL,
    "chatId" TEXT,
    "accountId" TEXT NOT NULL,
    "kind" "EntryKind" NOT NULL,
    "calendarId" TEXT NOT NULL,
    "providerEventId" TEXT,
    "idempotencyKey" TEXT NOT NULL,
    "startUtc" TIMESTAMPTZ(3) NOT NULL,
    "endUtc" TIMESTAMPTZ(3) NOT NULL,
    "deleted" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "CalendarEntry_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CheckInPlan" (
    "id" TEXT NOT NULL,
    "contactId" TEXT NOT NULL,
    "step" INTEGER NOT NULL DEFAULT 0,
    "anchorAt" TIMESTAMPTZ(3) NOT NULL,
    "nextAt" TIMESTAMPTZ(3) NOT NULL,
    "unansweredCount" INTEGER NOT NULL DEFAULT 0,
    "consecutiveDiscards" INTEGER NOT NULL DEFAULT 0,
    "snoozedUntil" TIMESTAMPTZ(3),
    "status" "CheckInStatus" NOT NULL DEFAULT 'active',
    "stopReason" TEXT,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "CheckInPlan_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Account_userId_idx" ON "Account"("userId");

-- CreateIndex
CREATE UNIQUE INDEX "Account_provider_email_key" ON "Account"("provider", "email");

-- CreateIndex
CREATE UNIQUE INDEX "Calendar_accountId_providerCalendarId_key" ON "Calendar"("accountId", "providerCalendarId");

-- CreateIndex
CREATE UNIQUE INDEX "Event_calendarId_providerEventId_key" ON "Event"("calendarId", "providerEventId");

-- CreateIndex
CREATE UNIQUE INDEX "Contact_userId_email_key" ON "Contact"("userId", "email");

-- CreateIndex
CREATE UNIQUE INDEX "Chat_eventId_key" ON "Chat"("eventId");

-- CreateIndex
CREATE UNIQUE INDEX "Chat_accountId_providerEventId_key" ON "Chat"("accountId", "providerEventId");

-- CreateIndex
CREATE UNIQUE INDEX "Draft_idempotencyKey_key" ON "Draft"("idempotencyKey");

-- CreateIndex
CREATE INDEX "Draft_status_dueAt_idx" ON "Draft"("status", "dueAt");

-- CreateIndex
CREATE UNIQUE INDEX "CalendarEntry_idempotencyKey_key" ON "CalendarEntry"("idempotencyKey");

-- CreateIndex
CREATE UNIQUE INDEX "CheckInPlan_contactId_key" ON "CheckInPlan"("contactId");

-- AddForeignKey
ALTER TABLE "Account" ADD CONSTRAINT "Account_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Calendar" ADD CONSTRAINT "Calendar_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Event" ADD CONSTRAINT "Event_calendarId_fkey" FOREIGN KEY ("calendarId") REFERENCES "Calendar"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Contact" ADD CONSTRAINT "Contact_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Chat" ADD CONSTRAINT "Chat_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Chat" ADD CONSTRAINT "Chat_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Chat" ADD CONSTRAINT "Chat_eventId_fkey" FOREIGN KEY ("eventId") REFERENCES "Event"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Chat" ADD CONSTRAINT "Chat_contactId_fkey" FOREIGN KEY ("contactId") REFERENCES "Contact"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Draft" ADD CONSTRAINT "Draft_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Draft" ADD CONSTRAINT "Draft_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Draft" ADD CONSTRAINT "Draft_chatId_fkey" FOREIGN KEY ("chatId") REFERENCES "Chat"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Draft" ADD CONSTRAINT "Draft_contactId_fkey" FOREIGN KEY ("contactId") REFERENCES "Contact"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CalendarEntry" ADD CONSTRAINT "CalendarEntry_chatId_fkey" FOREIGN KEY ("chatId") REFERENCES "Chat"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CheckInPlan" ADD CONSTRAINT "CheckInPlan_contactId_fkey" FOREIGN KEY ("contactId") REFERENCES "Contact"("id") ON DELETE CASCADE ON UPDATE CASCADE;
