-- AlterTable
ALTER TABLE "api_key" ADD COLUMN     "rpm_limit" INTEGER;
