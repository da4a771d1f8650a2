-- AlterTable
ALTER TABLE "outbox" ADD COLUMN     "bundle" BOOLEAN NOT NULL DEFAULT false;
