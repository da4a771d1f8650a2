-- A top-up reference is unique per account (issue #23): the same reference may credit another account.
-- AlterTable
ALTER TABLE "top_up" DROP CONSTRAINT "top_up_pkey",
ADD CONSTRAINT "top_up_pkey" PRIMARY KEY ("account_id", "reference");
