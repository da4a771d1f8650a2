-- CreateTable
CREATE TABLE "handled_dispatch" (
    "object_id" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "provider_id" TEXT,
    "outcome" TEXT NOT NULL,
    "handled_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "handled_dispatch_pkey" PRIMARY KEY ("object_id","attempt")
);

-- CreateTable
CREATE TABLE "provider_batch_job" (
    "batch_id" TEXT NOT NULL,
    "provider_id" TEXT NOT NULL,
    "provider_batch_id" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "items" JSONB NOT NULL,
    "correlation_id" TEXT NOT NULL,
    "causation_id" TEXT NOT NULL,
    "traceparent" TEXT,
    "submitted_at" TIMESTAMPTZ(3) NOT NULL,
    "next_poll_at" TIMESTAMPTZ(3) NOT NULL,
    "completed_at" TIMESTAMPTZ(3),
    "status" TEXT NOT NULL,

    CONSTRAINT "provider_batch_job_pkey" PRIMARY KEY ("batch_id")
);

-- CreateIndex
CREATE INDEX "provider_batch_job_completed_at_next_poll_at_idx" ON "provider_batch_job"("completed_at", "next_poll_at");
