-- AlterTable
ALTER TABLE "cancelled_task" ADD COLUMN     "sweeping" BOOLEAN NOT NULL DEFAULT false;
