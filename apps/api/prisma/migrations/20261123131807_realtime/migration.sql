-- AlterTable
ALTER TABLE "object_view" ADD COLUMN     "balance_after_micros" BIGINT,
ADD COLUMN     "charged_micros" BIGINT,
ADD COLUMN     "customer_ref" TEXT,
ADD COLUMN     "metadata" TEXT;

-- CreateTable
CREATE TABLE "idempotency_key" (
    "account_id" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "object_id" TEXT NOT NULL,
    "response" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "idempotency_key_pkey" PRIMARY KEY ("account_id","key")
);
