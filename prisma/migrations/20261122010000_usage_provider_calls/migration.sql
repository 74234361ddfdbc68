-- AlterTable
ALTER TABLE "usage_hourly" ADD COLUMN     "provider_calls" INTEGER NOT NULL DEFAULT 0;
