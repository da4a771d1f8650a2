-- AlterTable
ALTER TABLE "file_view" ADD COLUMN     "models" JSONB;
