-- CreateTable
CREATE TABLE "WebToken" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "WebToken_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "WebToken_tokenHash_key" ON "WebToken"("tokenHash");

-- CreateIndex
CREATE INDEX "WebToken_userId_idx" ON "WebToken"("userId");

-- CreateIndex
CREATE INDEX "Chat_userId_iCalUid_idx" ON "Chat"("userId", "iCalUid");

-- AddForeignKey
ALTER TABLE "WebToken" ADD CONSTRAINT "WebToken_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
