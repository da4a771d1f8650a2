-- CreateTable
CREATE TABLE "openai_batch" (
    "batch_id" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "input_file_id" TEXT NOT NULL,
    "endpoint" TEXT NOT NULL,
    "completion_window" TEXT NOT NULL,
    "sla_minutes" INTEGER NOT NULL,
    "metadata" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "cancelling_at" TIMESTAMPTZ(3),
    "finalizing_at" TIMESTAMPTZ(3),

    CONSTRAINT "openai_batch_pkey" PRIMARY KEY ("batch_id")
);

-- CreateIndex
CREATE INDEX "openai_batch_account_id_created_at_idx" ON "openai_batch"("account_id", "created_at");

-- CreateIndex
CREATE INDEX "file_view_account_id_created_at_idx" ON "file_view"("account_id", "created_at");
