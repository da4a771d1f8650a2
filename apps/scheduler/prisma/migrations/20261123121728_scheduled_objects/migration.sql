-- CreateTable
CREATE TABLE "scheduled_object" (
    "object_id" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "funds_reserved" BOOLEAN NOT NULL DEFAULT false,
    "work" JSONB,
    "input_tokens" INTEGER NOT NULL DEFAULT 0,
    "sla_minutes" INTEGER,
    "deadline_at" TIMESTAMPTZ(3),
    "pricing" JSONB,
    "routing" JSONB,
    "mode" TEXT,
    "provider_id" TEXT,
    "due_at" TIMESTAMPTZ(3),
    "escalate_at" TIMESTAMPTZ(3),
    "attempt" INTEGER NOT NULL DEFAULT 0,
    "avoid_providers" JSONB NOT NULL DEFAULT '[]',
    "escalated" BOOLEAN NOT NULL DEFAULT false,
    "correlation_id" TEXT NOT NULL,
    "traceparent" TEXT,
    "last_event_id" TEXT NOT NULL,

    CONSTRAINT "scheduled_object_pkey" PRIMARY KEY ("object_id")
);

-- CreateIndex
CREATE INDEX "scheduled_object_status_due_at_idx" ON "scheduled_object"("status", "due_at");

-- CreateIndex
CREATE INDEX "scheduled_object_status_escalate_at_idx" ON "scheduled_object"("status", "escalate_at");
