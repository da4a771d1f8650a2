-- CreateTable
CREATE TABLE "file_view" (
    "file_id" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "file_name" TEXT NOT NULL,
    "bytes" BIGINT NOT NULL,
    "mime_type" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "blob_key" TEXT NOT NULL,
    "items" INTEGER NOT NULL,
    "format" TEXT,
    "purpose" TEXT NOT NULL,
    "task_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "file_view_pkey" PRIMARY KEY ("file_id")
);

-- CreateIndex
CREATE INDEX "file_view_task_id_idx" ON "file_view"("task_id");
