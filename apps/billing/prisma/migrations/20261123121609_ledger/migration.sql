-- CreateTable
CREATE TABLE "wallet" (
    "account_id" TEXT NOT NULL,
    "available_micros" BIGINT NOT NULL,
    "held_micros" BIGINT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "wallet_pkey" PRIMARY KEY ("account_id")
);

-- CreateTable
CREATE TABLE "ledger_transaction" (
    "id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "object_id" TEXT,
    "reference" TEXT,
    "cause_id" UUID NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "ledger_transaction_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ledger_entry" (
    "id" BIGSERIAL NOT NULL,
    "transaction_id" UUID NOT NULL,
    "account" TEXT NOT NULL,
    "debit_micros" BIGINT NOT NULL,
    "credit_micros" BIGINT NOT NULL,

    CONSTRAINT "ledger_entry_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "reservation" (
    "object_id" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "amount_micros" BIGINT NOT NULL,
    "pricing" JSONB NOT NULL,
    "status" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "settled_at" TIMESTAMPTZ(3),

    CONSTRAINT "reservation_pkey" PRIMARY KEY ("object_id")
);

-- CreateTable
CREATE TABLE "charge" (
    "object_id" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "amount_micros" BIGINT NOT NULL,
    "reserved_micros" BIGINT NOT NULL,
    "transaction_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "charge_pkey" PRIMARY KEY ("object_id")
);

-- CreateTable
CREATE TABLE "top_up" (
    "reference" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "amount_micros" BIGINT NOT NULL,
    "transaction_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "top_up_pkey" PRIMARY KEY ("reference")
);

-- CreateIndex
CREATE INDEX "ledger_transaction_account_id_idx" ON "ledger_transaction"("account_id");

-- CreateIndex
CREATE INDEX "ledger_entry_transaction_id_idx" ON "ledger_entry"("transaction_id");

-- CreateIndex
CREATE INDEX "ledger_entry_account_idx" ON "ledger_entry"("account");

-- CreateIndex
CREATE INDEX "reservation_account_id_status_idx" ON "reservation"("account_id", "status");

-- CreateIndex
CREATE UNIQUE INDEX "charge_transaction_id_key" ON "charge"("transaction_id");

-- CreateIndex
CREATE INDEX "charge_account_id_idx" ON "charge"("account_id");

-- CreateIndex
CREATE UNIQUE INDEX "top_up_transaction_id_key" ON "top_up"("transaction_id");

-- AddForeignKey
ALTER TABLE "ledger_entry" ADD CONSTRAINT "ledger_entry_transaction_id_fkey" FOREIGN KEY ("transaction_id") REFERENCES "ledger_transaction"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- The books never go negative, whatever a bug upstream asks for (Prisma's schema cannot state checks).
ALTER TABLE "wallet" ADD CONSTRAINT "wallet_available_nonnegative" CHECK ("available_micros" >= 0);
ALTER TABLE "wallet" ADD CONSTRAINT "wallet_held_nonnegative" CHECK ("held_micros" >= 0);
ALTER TABLE "ledger_entry" ADD CONSTRAINT "ledger_entry_one_side" CHECK ("debit_micros" >= 0 AND "credit_micros" >= 0 AND ("debit_micros" = 0) <> ("credit_micros" = 0));
ALTER TABLE "charge" ADD CONSTRAINT "charge_within_reservation" CHECK ("amount_micros" >= 0 AND "amount_micros" <= "reserved_micros");
