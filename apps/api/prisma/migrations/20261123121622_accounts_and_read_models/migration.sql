-- CreateTable
CREATE TABLE "account" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "account_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_key" (
    "id" UUID NOT NULL,
    "account_id" UUID NOT NULL,
    "key_hash" TEXT NOT NULL,
    "key_prefix" TEXT NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "deactivated_at" TIMESTAMPTZ(3),

    CONSTRAINT "api_key_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "balance_view" (
    "account_id" TEXT NOT NULL,
    "available_micros" BIGINT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "balance_view_pkey" PRIMARY KEY ("account_id")
);

-- CreateTable
CREATE TABLE "task_view" (
    "task_id" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "total_items" INTEGER,
    "output_format" TEXT,
    "file_id" TEXT,
    "submitted_at" TIMESTAMPTZ(3),
    "completed_items" INTEGER NOT NULL DEFAULT 0,
    "failed_items" INTEGER NOT NULL DEFAULT 0,
    "completion_emitted" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "task_view_pkey" PRIMARY KEY ("task_id")
);

-- CreateTable
CREATE TABLE "object_view" (
    "object_id" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "task_id" TEXT,
    "item_index" INTEGER,
    "item_key" TEXT,
    "model" TEXT,
    "status" TEXT NOT NULL,
    "input_tokens" INTEGER,
    "price_factor" DOUBLE PRECISION,
    "max_output_tokens" INTEGER,
    "sla_minutes" INTEGER,
    "deadline_at" TIMESTAMPTZ(3),
    "submitted_at" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "provider_id" TEXT,
    "mode" TEXT,
    "output_tokens" INTEGER,
    "output_text" TEXT,
    "output_blob_key" TEXT,
    "error_code" TEXT,
    "error_message" TEXT,
    "sla_missed" BOOLEAN NOT NULL DEFAULT false,
    "finished_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "object_view_pkey" PRIMARY KEY ("object_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "api_key_key_hash_key" ON "api_key"("key_hash");

-- CreateIndex
CREATE INDEX "api_key_account_id_idx" ON "api_key"("account_id");

-- CreateIndex
CREATE INDEX "object_view_task_id_item_index_idx" ON "object_view"("task_id", "item_index");

-- AddForeignKey
ALTER TABLE "api_key" ADD CONSTRAINT "api_key_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "account"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
