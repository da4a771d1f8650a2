-- CreateTable
CREATE TABLE "pending_call" (
    "object_id" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "dispatch" JSONB NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "pending_call_pkey" PRIMARY KEY ("object_id","attempt")
);
