-- CreateTable
CREATE TABLE "webhook_endpoint" (
    "account_id" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "webhook_endpoint_pkey" PRIMARY KEY ("account_id")
);
