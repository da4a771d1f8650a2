-- DropIndex
DROP INDEX "scheduled_object_status_escalate_at_idx";

-- CreateIndex
CREATE INDEX "scheduled_object_status_escalated_escalate_at_idx" ON "scheduled_object"("status", "escalated", "escalate_at");
