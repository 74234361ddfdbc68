import {
  createQueuedJob,
  findActiveKey,
  getJobForTenant,
  withdrawUnacceptedJob,
  type Db,
} from '@asahi/db';
import type { KeyLookup } from './auth';
import type { JobStore } from './routes/jobs.route';

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
  };
}

export function createKeyLookup(db: Db): KeyLookup {
  return (plaintext) => findActiveKey(db.prisma, plaintext);
}
