import { fixtures, type DispatchReport, type ResultMessage } from '@asahi/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrismaClient } from './client';
import {
  createDispatchBatchRepository,
  type DispatchBatchMemberInput,
  type DispatchBatchRepository,
} from './dispatch-batch.repository';
import { getResult, saveTerminalResult } from './result.repository';
import { createTestDatabase, type TestDatabase } from './test-database';

let t: TestDatabase;
let prisma: PrismaClient;
let repo: DispatchBatchRepository;
let seq = 0;
const uid = (p: string) => `${p}_${Date.now().toString(36)}_${++seq}`;
const at = (iso: string) => new Date(`2026-11-22T${iso}Z`);
/** Request ids that sort in the order given under any collation: one prefix, then a, b, c… */
const requestIds = (n: number): string[] => {
  const prefix = uid('req');
  return Array.from({ length: n }, (_, i) => `${prefix}_${String.fromCharCode(97 + i)}`);
};
const statesOf = async (batchId: string) =>
  Object.fromEntries((await repo.members(batchId)).map((m) => [m.requestId, m.state]));

function member(requestId: string, deadline = '12:00:00.000'): DispatchBatchMemberInput {
  return {
    requestId,
    tenantId: 'tenant_a',
    customId: `c-${requestId}`,
    deadlineAt: at(deadline),
    payload: { requestId, body: { model: 'gpt-4o-mini', n: [1, 'two', null] } },
  };
}

function batch(members: DispatchBatchMemberInput[], id = uid('bat')) {
  return {
    id,
    provider: 'openai',
    model: 'gpt-4o-mini',
    endpoint: 'chat',
    expectedDoneAt: at('13:00:00.000'),
    members,
  };
}

beforeAll(async () => {
  t = await createTestDatabase();
  prisma = t.db.prisma;
  repo = createDispatchBatchRepository(prisma);
});
afterAll(async () => {
  await t?.drop();
});

describe('dispatch batch repository (real Postgres)', () => {
  it('creates a batch with its members in_batch, and reads both back', async () => {
    const [r1, r2, r3] = requestIds(3) as [string, string, string];
    const input = batch([
      member(r1, '12:00:02.000'),
      member(r2, '12:00:01.000'),
      member(r3, '12:00:02.000'),
    ]);
    expect(await repo.create(input)).toEqual({ memberIds: [r1, r2, r3] });
    expect(await repo.get(input.id)).toEqual({
      id: input.id,
      provider: 'openai',
      model: 'gpt-4o-mini',
      endpoint: 'chat',
      status: 'created',
      providerBatchId: null,
      inputFileId: null,
      providerStatus: null,
      memberCount: 3,
      createdAt: expect.any(Date),
      submittedAt: null,
      expectedDoneAt: at('13:00:00.000'),
      finishedAt: null,
      attempts: 0,
      lastError: null,
    });
    // By deadline, then request id (r1 sorts before r3: same deadline).
    expect(await repo.members(input.id)).toEqual(
      [input.members[1]!, input.members[0]!, input.members[2]!].map((m) => ({
        ...m,
        batchId: input.id,
        state: 'in_batch',
      })),
    );
    expect(await repo.get('bat_unknown')).toBeNull();
    expect(await repo.members('bat_unknown')).toEqual([]);
  });

  it('filters members by state', async () => {
    const [r1, r2, r3] = requestIds(3) as [string, string, string];
    const input = batch([member(r1), member(r2), member(r3)]);
    await repo.create(input);
    expect(await repo.transition(input.id, [r2], 'answered')).toEqual([r2]);
    expect(await repo.transition(input.id, [r3], 'failed')).toEqual([r3]);
    const ids = async (states?: Parameters<DispatchBatchRepository['members']>[1]) =>
      (await repo.members(input.id, states)).map((m) => [m.requestId, m.state]);
    expect(await ids(['in_batch'])).toEqual([[r1, 'in_batch']]);
    expect(await ids(['answered', 'failed'])).toEqual([
      [r2, 'answered'],
      [r3, 'failed'],
    ]);
    expect(await ids(['released'])).toEqual([]);
    expect(await ids()).toHaveLength(3);
  });

  it('is idempotent: creating the same batch again records nothing new', async () => {
    const [r1, r2, r3] = requestIds(3) as [string, string, string];
    const input = batch([member(r1), member(r2)]);
    expect(await repo.create(input)).toEqual({ memberIds: [r1, r2] });
    const before = await repo.get(input.id);
    expect(await repo.create(input)).toEqual({ memberIds: [r1, r2] });
    // Even with other members, the batch keeps what it was created with.
    expect(await repo.create({ ...input, members: [member(r3), ...input.members] })).toEqual({
      memberIds: [r1, r2],
    });
    expect(await repo.get(input.id)).toEqual(before);
    expect(await statesOf(input.id)).toEqual({ [r1]: 'in_batch', [r2]: 'in_batch' });
    // r3 was not recorded anywhere, so another batch may take it.
    expect((await repo.create(batch([member(r3)]))).memberIds).toEqual([r3]);
  });

  it('concurrent creates of the same id record the batch once', async () => {
    const [r1, r2] = requestIds(2) as [string, string];
    const input = batch([member(r1), member(r2)]);
    const outcomes = await Promise.all([1, 2, 3].map(() => repo.create(input)));
    expect(outcomes).toEqual([1, 2, 3].map(() => ({ memberIds: [r1, r2] })));
    expect((await repo.get(input.id))?.memberCount).toBe(2);
  });

  it('skips a request that is in another live batch, and takes it once it left that batch', async () => {
    const [r1, r2, r3] = requestIds(3) as [string, string, string];
    const first = batch([member(r1), member(r2)]);
    await repo.create(first);

    const second = batch([member(r1), member(r3)]);
    expect(await repo.create(second)).toEqual({ memberIds: [r3] });
    expect((await repo.get(second.id))?.memberCount).toBe(1);
    expect((await repo.members(second.id)).map((m) => m.requestId)).toEqual([r3]);

    // Nothing left to record: no empty batch row stays behind.
    const empty = batch([member(r1), member(r2)]);
    expect(await repo.create(empty)).toEqual({ memberIds: [] });
    expect(await repo.get(empty.id)).toBeNull();
    const none = batch([]);
    expect(await repo.create(none)).toEqual({ memberIds: [] });
    expect(await repo.get(none.id)).toBeNull();

    // A request listed twice is recorded once.
    const r4 = uid('req');
    const twice = batch([member(r4), { ...member(r4), customId: 'other' }]);
    expect(await repo.create(twice)).toEqual({ memberIds: [r4] });
    expect(await repo.members(twice.id)).toMatchObject([{ requestId: r4, customId: `c-${r4}` }]);

    expect(await repo.transition(first.id, [r1], 'released')).toEqual([r1]);
    const third = batch([member(r1), member(r2)]);
    expect(await repo.create(third)).toEqual({ memberIds: [r1] });
    expect(await statesOf(first.id)).toEqual({ [r1]: 'released', [r2]: 'in_batch' });
  });

  it('rejects a batch whose members share a custom_id, leaving nothing behind', async () => {
    const [r1, r2] = requestIds(2) as [string, string];
    const input = batch([member(r1), { ...member(r2), customId: `c-${r1}` }]);
    await expect(repo.create(input)).rejects.toThrow();
    expect(await repo.get(input.id)).toBeNull();
    expect(await repo.create(batch([member(r1)]))).toEqual({ memberIds: [r1] });
  });

  it('transitions members only from in_batch, and only of that batch', async () => {
    const [r1, r2, r3, other] = requestIds(4) as [string, string, string, string];
    const input = batch([member(r1), member(r2), member(r3)]);
    await repo.create(input);
    const elsewhere = batch([member(other)]);
    await repo.create(elsewhere);

    expect(await repo.transition(input.id, [r3, r1, 'req_unknown', other], 'answered')).toEqual([
      r3,
      r1,
    ]);
    expect(await repo.transition(input.id, [r1, r2, r3], 'requeued')).toEqual([r2]);
    expect(await repo.transition(input.id, [r1, r2, r3], 'failed')).toEqual([]);
    expect(await repo.transition(input.id, [], 'released')).toEqual([]);
    expect(await statesOf(input.id)).toEqual({
      [r1]: 'answered',
      [r2]: 'requeued',
      [r3]: 'answered',
    });
    expect(await repo.members(elsewhere.id)).toMatchObject([{ state: 'in_batch' }]);
  });

  it('concurrent transitions of the same members never both win', async () => {
    for (let round = 0; round < 20; round++) {
      const ids = requestIds(4);
      const input = batch(ids.map((id) => member(id)));
      await repo.create(input);
      // One caller asks for all of them, the other for a reversed subset.
      const [released, answered] = await Promise.all([
        repo.transition(input.id, ids, 'released'),
        repo.transition(input.id, ids.slice(1).reverse(), 'answered'),
      ]);
      expect(released.filter((id) => answered.includes(id))).toEqual([]);
      expect([...released, ...answered].sort()).toEqual([...ids].sort());
      const states = await statesOf(input.id);
      for (const id of released) expect(states[id]).toBe('released');
      for (const id of answered) expect(states[id]).toBe('answered');
    }
  });

  it('records submission, attempts, provider status and the end of a batch', async () => {
    const input = batch([member(uid('req'))]);
    await repo.create(input);

    await repo.recordAttempt(input.id, 'upload failed: 503');
    expect(await repo.get(input.id)).toMatchObject({
      status: 'created',
      attempts: 1,
      lastError: 'upload failed: 503',
    });
    await repo.recordAttempt(input.id, null);
    await repo.markSubmitted(input.id, {
      providerBatchId: `pb_${input.id}`,
      inputFileId: 'file_1',
      submittedAt: at('12:00:10.000'),
    });
    expect(await repo.get(input.id)).toMatchObject({
      status: 'submitted',
      attempts: 2,
      lastError: null,
      providerBatchId: `pb_${input.id}`,
      inputFileId: 'file_1',
      submittedAt: at('12:00:10.000'),
    });
    // A second submission changes nothing.
    await repo.markSubmitted(input.id, {
      providerBatchId: 'pb_other',
      inputFileId: 'file_2',
      submittedAt: at('12:30:00.000'),
    });
    expect(await repo.get(input.id)).toMatchObject({
      providerBatchId: `pb_${input.id}`,
      inputFileId: 'file_1',
      submittedAt: at('12:00:10.000'),
    });

    await repo.updateProviderStatus(input.id, 'in_progress');
    expect(await repo.get(input.id)).toMatchObject({
      providerStatus: 'in_progress',
      expectedDoneAt: at('13:00:00.000'),
    });
    await repo.updateProviderStatus(input.id, 'finalizing', at('13:30:00.000'));
    expect(await repo.get(input.id)).toMatchObject({
      providerStatus: 'finalizing',
      expectedDoneAt: at('13:30:00.000'),
    });

    await repo.finish(input.id, 'finished', at('13:31:00.000'));
    // The first end wins.
    await repo.finish(input.id, 'failed', at('13:32:00.000'));
    expect(await repo.get(input.id)).toMatchObject({
      status: 'finished',
      finishedAt: at('13:31:00.000'),
    });
    // A finished batch is not submitted again.
    await repo.markSubmitted(input.id, {
      providerBatchId: 'pb_late',
      inputFileId: 'file_3',
      submittedAt: at('14:00:00.000'),
    });
    expect((await repo.get(input.id))?.status).toBe('finished');
  });

  it('lists unfinished batches, oldest first', async () => {
    const make = async (createdAt: string) => {
      const input = batch([member(uid('req'))]);
      await repo.create(input);
      await prisma.dispatchBatch.update({
        where: { id: input.id },
        data: { createdAt: at(createdAt) },
      });
      return input.id;
    };
    // Created in an order that neither their ids nor insertion time would give.
    const newest = await make('09:00:03.000');
    const submitted = await make('09:00:02.000');
    const failed = await make('09:00:00.000');
    const oldest = await make('09:00:01.000');
    const finished = await make('08:00:00.000');
    await repo.markSubmitted(submitted, {
      providerBatchId: `pb_${submitted}`,
      inputFileId: 'f',
      submittedAt: at('09:00:04.000'),
    });
    await repo.finish(failed, 'failed', at('09:00:05.000'));
    await repo.finish(finished, 'finished', at('09:00:05.000'));

    const mine = new Set([newest, submitted, failed, oldest, finished]);
    const listed = (await repo.unfinished()).filter((b) => mine.has(b.id));
    expect(listed.map((b) => [b.id, b.status])).toEqual([
      [oldest, 'created'],
      [submitted, 'submitted'],
      [newest, 'created'],
    ]);
  });

  it('deleting a batch deletes its members, and frees their requests', async () => {
    const r1 = uid('req');
    const input = batch([member(r1)]);
    await repo.create(input);
    await prisma.dispatchBatch.delete({ where: { id: input.id } });
    expect(await repo.members(input.id)).toEqual([]);
    expect((await repo.create(batch([member(r1)]))).memberIds).toEqual([r1]);
  });
});

describe('results.dispatch', () => {
  const result = (over: Partial<ResultMessage>): ResultMessage => ({
    ...(fixtures.result() as ResultMessage),
    tenantId: 'tenant_a',
    requestId: uid('req'),
    ...over,
  });

  it('stores the dispatch report of a result and reads it back', async () => {
    const dispatch: DispatchReport = {
      execution: 'realtime',
      batchId: 'bat_01',
      releasedFromBatch: 'late',
      rateLimitWaitMs: 1250,
      fallback: { from: 'gpt-4o', to: 'gpt-4o-mini', reason: 'circuit-open' },
    };
    const withReport = result({ dispatch });
    expect(await saveTerminalResult(prisma, withReport)).toEqual({ firstTime: true });
    expect(await getResult(prisma, 'tenant_a', withReport.requestId)).toMatchObject({ dispatch });

    const without = result({ dispatch: undefined });
    await saveTerminalResult(prisma, without);
    expect(await getResult(prisma, 'tenant_a', without.requestId)).toMatchObject({
      dispatch: null,
    });
    // SQL NULL, not a JSON null.
    const [row] = await prisma.$queryRaw<{ is_null: boolean }[]>`
      SELECT dispatch IS NULL AS is_null FROM results WHERE id = ${without.requestId}`;
    expect(row?.is_null).toBe(true);
  });
});
