-- AlterTable
ALTER TABLE "balance_view" ADD COLUMN     "gateway_held_micros" BIGINT NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "gateway_hold" (
    "object_id" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "amount_micros" BIGINT NOT NULL,
    "expires_at" TIMESTAMPTZ(3),

    CONSTRAINT "gateway_hold_pkey" PRIMARY KEY ("object_id")
);

-- CreateTable
CREATE TABLE "inference_record" (
    "object_id" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "response" JSONB NOT NULL,
    "customer_ref" TEXT,
    "metadata" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "inference_record_pkey" PRIMARY KEY ("object_id")
);

-- CreateIndex
CREATE INDEX "gateway_hold_expires_at_idx" ON "gateway_hold"("expires_at");
