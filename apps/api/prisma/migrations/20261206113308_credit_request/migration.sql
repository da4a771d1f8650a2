-- CreateTable
CREATE TABLE "credit_request" (
    "account_id" UUID NOT NULL,
    "reference" TEXT NOT NULL,
    "amount_micros" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "credit_request_pkey" PRIMARY KEY ("account_id","reference")
);
