import {
  createQueuedJob,
  createQueuedJobs,
  findActiveKey,
  getJobForTenant,
  withdrawUnacceptedJob,
  type Db,
} from '@asahi/db';
import type { KeyLookup } from './auth';
import type { JobStore } from './routes/jobs.route';

/** Rows per INSERT / SELECT of a bulk upload: bounded statements, few round trips. */
const BATCH_ROWS = 500;

/** The routes' view of Postgres, on the @asahi/db repositories. */
export function createJobStore(db: Db): JobStore {
  return {
    async createQueued(message) {
      const { job, created } = await createQueuedJob(db.prisma, message);
      if (created) return { created, job: { ...job, result: null } };
      // An idempotent retry: show the existing job with its result, if it has one by now.
      const existing = await getJobForTenant(db.prisma, message.tenantId, message.requestId);
      return { created, job: existing ?? { ...job, result: null } };
    },
    getForTenant: (tenantId, id) => getJobForTenant(db.prisma, tenantId, id),
    async withdraw(tenantId, id) {
      await withdrawUnacceptedJob(db.prisma, tenantId, id);
    },
    async createQueuedMany(messages) {
      const created = new Set<string>();
      for (const chunk of chunks(messages, BATCH_ROWS)) {
        for (const outcome of await createQueuedJobs(db.prisma, chunk))
          if (outcome.created) created.add(outcome.id);
      }
      return created;
    },
    async findManyForTenant(tenantId, ids) {
      const found = [];
      // No @asahi/db repository reads many jobs by id yet; this is the same tenant-scoped read.
      for (const chunk of chunks(ids, BATCH_ROWS)) {
        found.push(...(await db.prisma.job.findMany({ where: { tenantId, id: { in: chunk } } })));
      }
      return found;
    },
  };
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function createKeyLookup(db: Db): KeyLookup {
  return (plaintext) => findActiveKey(db.prisma, plaintext);
}
