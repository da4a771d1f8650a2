-- AlterTable
ALTER TABLE "output_item" ADD COLUMN     "finished_at" TIMESTAMPTZ(3),
ADD COLUMN     "input_tokens" INTEGER,
ADD COLUMN     "max_output_tokens" INTEGER,
ADD COLUMN     "model" TEXT,
ADD COLUMN     "output_tokens" INTEGER;

-- AlterTable
ALTER TABLE "output_task" ADD COLUMN     "openai_batch" BOOLEAN NOT NULL DEFAULT false;
