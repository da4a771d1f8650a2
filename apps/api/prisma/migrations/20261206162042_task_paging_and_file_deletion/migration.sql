-- AlterTable
ALTER TABLE "file_view" ADD COLUMN     "deleted_at" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "task_view" ADD COLUMN     "cancelled_at" TIMESTAMPTZ(3),
ADD COLUMN     "queued_items" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "running_items" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "status" TEXT NOT NULL DEFAULT 'submitted';

-- CreateIndex
CREATE INDEX "task_view_account_id_submitted_at_task_id_idx" ON "task_view"("account_id", "submitted_at" DESC, "task_id" DESC);

-- Backfill: the counts of the tasks already projected, and their status as taskStatus derives it.
UPDATE "task_view" t SET
  "queued_items" = c.queued, "running_items" = c.running
FROM (SELECT "task_id", count(*) FILTER (WHERE "status" = 'queued')::int AS queued, count(*) FILTER (WHERE "status" = 'running')::int AS running
      FROM "object_view" WHERE "task_id" IS NOT NULL GROUP BY "task_id") c
WHERE c."task_id" = t."task_id";

UPDATE "task_view" SET "status" = CASE
  WHEN "total_items" > 0 AND "completed_items" + "failed_items" >= "total_items" THEN CASE WHEN "completed_items" > 0 THEN 'completed' ELSE 'failed' END
  WHEN "running_items" > 0 OR "completed_items" + "failed_items" > 0 THEN 'running'
  WHEN "queued_items" > 0 THEN 'queued'
  ELSE 'submitted' END;
