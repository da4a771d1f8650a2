-- DropIndex
DROP INDEX "object_view_task_id_item_index_idx";

-- CreateIndex
CREATE INDEX "object_view_task_id_item_index_object_id_idx" ON "object_view"("task_id", "item_index", "object_id");

-- Tasks cancelled before task_view.cancelled_at existed (OpenAI batches: openai_batch.cancelling_at, from the same
-- TaskCancelRequested), so the live rows match a rebuild from the log.
UPDATE "task_view" t SET "cancelled_at" = b."cancelling_at"
FROM "openai_batch" b
WHERE b."batch_id" = t."task_id" AND b."cancelling_at" IS NOT NULL AND t."cancelled_at" IS NULL;

UPDATE "task_view" SET "status" = CASE
  WHEN "total_items" > 0 AND "completed_items" + "failed_items" >= "total_items" THEN 'cancelled'
  ELSE 'cancelling' END
WHERE "cancelled_at" IS NOT NULL;
