-- AlterTable
ALTER TABLE "webhook_task" ADD COLUMN     "openai_batch" BOOLEAN NOT NULL DEFAULT false;
