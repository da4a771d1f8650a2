-- DropIndex
DROP INDEX "api_key_account_id_idx";

-- AlterTable
ALTER TABLE "api_key" ADD COLUMN     "last_used_at" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "wallet_transaction" (
    "seq" BIGSERIAL NOT NULL,
    "event_id" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "object_id" TEXT,
    "reference" TEXT,
    "amount_micros" BIGINT NOT NULL,
    "charged_micros" BIGINT,
    "reserved_micros" BIGINT,
    "balance_before_micros" BIGINT NOT NULL,
    "balance_after_micros" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "wallet_transaction_pkey" PRIMARY KEY ("seq")
);

-- CreateIndex
CREATE UNIQUE INDEX "wallet_transaction_event_id_key" ON "wallet_transaction"("event_id");

-- CreateIndex
CREATE INDEX "wallet_transaction_account_id_seq_idx" ON "wallet_transaction"("account_id", "seq");

-- CreateIndex
CREATE INDEX "api_key_account_id_created_at_idx" ON "api_key"("account_id", "created_at");

-- CreateIndex
CREATE INDEX "object_view_account_id_finished_at_idx" ON "object_view"("account_id", "finished_at");
