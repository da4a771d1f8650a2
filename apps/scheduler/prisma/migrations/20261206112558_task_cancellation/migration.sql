-- CreateTable
CREATE TABLE "cancelled_task" (
    "task_id" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "cancelled_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "cancelled_task_pkey" PRIMARY KEY ("task_id")
);

-- CreateIndex
CREATE INDEX "scheduled_object_correlation_id_idx" ON "scheduled_object"("correlation_id");
