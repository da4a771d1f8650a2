-- DropIndex
DROP INDEX "scheduled_object_status_due_at_idx";

-- CreateIndex
CREATE INDEX "scheduled_object_status_mode_due_at_idx" ON "scheduled_object"("status", "mode", "due_at");
