-- AlterTable
ALTER TABLE "results" ADD COLUMN     "dispatch" JSONB;

-- CreateTable
CREATE TABLE "dispatch_batches" (
    "id" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "endpoint" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "provider_batch_id" TEXT,
    "input_file_id" TEXT,
    "provider_status" TEXT,
    "member_count" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "submitted_at" TIMESTAMPTZ(3),
    "expected_done_at" TIMESTAMPTZ(3) NOT NULL,
    "finished_at" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,

    CONSTRAINT "dispatch_batches_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "dispatch_batch_members" (
    "batch_id" TEXT NOT NULL,
    "request_id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "custom_id" TEXT NOT NULL,
    "deadline_at" TIMESTAMPTZ(3) NOT NULL,
    "state" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "dispatch_batch_members_pkey" PRIMARY KEY ("batch_id","request_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "dispatch_batches_provider_batch_id_key" ON "dispatch_batches"("provider_batch_id");

-- CreateIndex
CREATE INDEX "dispatch_batches_status_idx" ON "dispatch_batches"("status");

-- CreateIndex
CREATE UNIQUE INDEX "dispatch_batch_members_batch_id_custom_id_key" ON "dispatch_batch_members"("batch_id", "custom_id");

-- AddForeignKey
ALTER TABLE "dispatch_batch_members" ADD CONSTRAINT "dispatch_batch_members_batch_id_fkey" FOREIGN KEY ("batch_id") REFERENCES "dispatch_batches"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- CreateIndex (by hand, not from the engine: Prisma schema cannot express a partial index)
-- A request is in at most one live batch. Inserts use ON CONFLICT DO NOTHING against it, and
-- a member leaving 'in_batch' frees its request for another batch.
CREATE UNIQUE INDEX "dispatch_batch_members_live_request_key" ON "dispatch_batch_members"("request_id") WHERE "state" = 'in_batch';
