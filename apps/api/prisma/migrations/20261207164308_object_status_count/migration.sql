-- CreateTable
CREATE TABLE "object_status_count" (
    "status" TEXT NOT NULL,
    "sla_missed" BOOLEAN NOT NULL,
    "n" BIGINT NOT NULL,

    CONSTRAINT "object_status_count_pkey" PRIMARY KEY ("status","sla_missed")
);

-- The objects already projected, counted once.
INSERT INTO "object_status_count" ("status", "sla_missed", "n")
SELECT "status", "sla_missed", count(*) FROM "object_view" GROUP BY "status", "sla_missed";
