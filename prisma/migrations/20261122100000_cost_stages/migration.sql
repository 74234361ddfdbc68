-- AlterTable
ALTER TABLE "results" ADD COLUMN     "routing" JSONB,
ADD COLUMN     "savings" JSONB,
ADD COLUMN     "tokens" JSONB;

-- AlterTable
ALTER TABLE "usage_hourly" ADD COLUMN     "original_prompt_tokens" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN     "saved_batch_usd" DECIMAL(20,10) NOT NULL DEFAULT 0,
ADD COLUMN     "saved_cache_usd" DECIMAL(20,10) NOT NULL DEFAULT 0,
ADD COLUMN     "saved_intermediate_usd" DECIMAL(20,10) NOT NULL DEFAULT 0,
ADD COLUMN     "saved_routing_usd" DECIMAL(20,10) NOT NULL DEFAULT 0,
ADD COLUMN     "saved_tokens_usd" DECIMAL(20,10) NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "model_registry" (
    "id" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "input_per_1m" DECIMAL(14,6) NOT NULL,
    "output_per_1m" DECIMAL(14,6) NOT NULL,
    "batch_input_per_1m" DECIMAL(14,6) NOT NULL,
    "batch_output_per_1m" DECIMAL(14,6) NOT NULL,
    "context_window" INTEGER NOT NULL,
    "capabilities" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "quality" JSONB NOT NULL DEFAULT '{}',
    "typical_latency_ms" INTEGER NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "model_registry_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "features" (
    "tenant_id" TEXT NOT NULL,
    "entity_type" TEXT NOT NULL,
    "entity_id" TEXT NOT NULL,
    "values" JSONB NOT NULL DEFAULT '{}',
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "features_pkey" PRIMARY KEY ("tenant_id","entity_type","entity_id")
);

-- CreateTable
CREATE TABLE "prompt_templates" (
    "tenant_id" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "template" TEXT NOT NULL,
    "features" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "prompt_templates_pkey" PRIMARY KEY ("tenant_id","id")
);
