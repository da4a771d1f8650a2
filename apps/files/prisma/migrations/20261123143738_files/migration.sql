-- CreateTable
CREATE TABLE "stored_file" (
    "file_id" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "file_name" TEXT NOT NULL,
    "blob_key" TEXT NOT NULL,
    "bytes" BIGINT NOT NULL,
    "items" INTEGER NOT NULL,
    "format" TEXT,
    "stored_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "stored_file_pkey" PRIMARY KEY ("file_id")
);

-- CreateTable
CREATE TABLE "expansion" (
    "task_id" TEXT NOT NULL,
    "file_id" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "sla_minutes" INTEGER,
    "collect_output" BOOLEAN NOT NULL,
    "total_items" INTEGER NOT NULL,
    "submitted_at" TIMESTAMPTZ(3) NOT NULL,
    "next_offset" BIGINT NOT NULL DEFAULT 0,
    "next_line_no" INTEGER NOT NULL DEFAULT 1,
    "next_index" INTEGER NOT NULL DEFAULT 0,
    "submitted" INTEGER NOT NULL DEFAULT 0,
    "rejected" INTEGER NOT NULL DEFAULT 0,
    "done" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "expansion_pkey" PRIMARY KEY ("task_id")
);

-- CreateTable
CREATE TABLE "output_task" (
    "task_id" TEXT NOT NULL,
    "account_id" TEXT,
    "total_items" INTEGER,
    "final_items" INTEGER NOT NULL DEFAULT 0,
    "output_file_id" TEXT,

    CONSTRAINT "output_task_pkey" PRIMARY KEY ("task_id")
);

-- CreateTable
CREATE TABLE "output_item" (
    "object_id" TEXT NOT NULL,
    "task_id" TEXT NOT NULL,
    "item_index" INTEGER NOT NULL,
    "item_key" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "output_text" TEXT,
    "error_code" TEXT,
    "error_message" TEXT,

    CONSTRAINT "output_item_pkey" PRIMARY KEY ("object_id")
);

-- CreateIndex
CREATE INDEX "output_item_task_id_item_index_idx" ON "output_item"("task_id", "item_index");
