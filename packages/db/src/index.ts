export { createDb } from './client';
export type { CreateDbOptions, Db, PrismaClient } from './client';
export {
  migrate,
  MIGRATIONS_DIR,
  PRISMA_MIGRATE_LOCK_KEY,
  PRISMA_MIGRATIONS_TABLE_DDL,
} from './migrate';
export type { MigrateLog, MigrateOptions, MigrateResult } from './migrate';
export { parseDatabaseUrl } from './connection-url';
export { createTestDatabase } from './test-database';
export type { TestDatabase, TestDatabaseOptions } from './test-database';

export { upsertTenant, getTenant } from './tenant.repository';
export type { UpsertTenantInput } from './tenant.repository';
export {
  createApiKey,
  findActiveKey,
  revokeApiKey,
  listApiKeys,
  DEFAULT_API_KEY_ROLES,
} from './api-key.repository';
export type { ActiveApiKey, CreatedApiKey } from './api-key.repository';
export {
  createQueuedJob,
  createQueuedJobs,
  getJobForTenant,
  markJobRunning,
  markJobsFailed,
  withdrawUnacceptedJob,
  touchJobs,
  findStuckJobs,
} from './job.repository';
export type { CreatedJob, QueuedJobInput } from './job.repository';
export { saveTerminalResult, getResult } from './result.repository';
export type { SaveResultOutcome } from './result.repository';
export {
  appendAuditEvents,
  listAuditEvents,
  verifyAuditChain,
  auditEventHash,
} from './audit.repository';
export type { AuditChainReport, AuditEventInput } from './audit.repository';
export { recordUsage, recordUsageBatch, listUsage } from './usage.repository';
export type { UsageInput } from './usage.repository';
export { createModelRegistryRepository } from './model-registry.repository';
export type { ModelRegistryRepository } from './model-registry.repository';
export { createDispatchBatchRepository } from './dispatch-batch.repository';
export type {
  CreateDispatchBatchInput,
  DispatchBatchMemberInput,
  DispatchBatchMemberRow,
  DispatchBatchMemberState,
  DispatchBatchRepository,
  DispatchBatchRow,
  DispatchBatchStatus,
  MarkSubmittedInput,
} from './dispatch-batch.repository';
export {
  upsertDelivery,
  markDelivered,
  markAttemptFailed,
  getDelivery,
} from './webhook-delivery.repository';
export type { DeliveryInput, FailedAttempt } from './webhook-delivery.repository';

export { TERMINAL_JOB_STATUSES } from './rows';
export type {
  ApiKeyRow,
  AuditEventRow,
  JobRow,
  JobStatus,
  JobWithResult,
  ResultRow,
  TenantRow,
  UsageHourlyRow,
  WebhookDeliveryRow,
  WebhookDeliveryStatus,
} from './rows';
export * from './feature-store';
