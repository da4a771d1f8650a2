-- CreateTable
CREATE TABLE "file_expansion" (
    "task_id" TEXT NOT NULL,
    "submitted" INTEGER NOT NULL,
    "rejected" INTEGER NOT NULL,
    "expanded_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "file_expansion_pkey" PRIMARY KEY ("task_id")
);

-- CreateTable
CREATE TABLE "task_quote" (
    "task_id" TEXT NOT NULL,
    "quoted_items" INTEGER NOT NULL DEFAULT 0,
    "base_micros" BIGINT NOT NULL DEFAULT 0,
    "expected_micros" BIGINT NOT NULL DEFAULT 0,
    "charged_micros" BIGINT NOT NULL DEFAULT 0,
    "min_factor" DOUBLE PRECISION,
    "max_factor" DOUBLE PRECISION,

    CONSTRAINT "task_quote_pkey" PRIMARY KEY ("task_id")
);
