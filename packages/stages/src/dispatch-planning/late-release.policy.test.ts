import { describe, expect, it } from 'vitest';
import { nextReleaseAt, releaseLateMembers, type RunningBatchJob } from './late-release.policy';

const H = 3_600_000;
const policy = { realtimeAllowanceMs: 60_000 };
// Submitted at 0, expected back at 4 h.
const job = (members: RunningBatchJob['members'], expectedDoneAt = 4 * H): RunningBatchJob => ({
  members,
  submittedAt: 0,
  expectedDoneAt,
});

describe('releaseLateMembers', () => {
  it.each([
    {
      name: 'a job on schedule releases no one before the last realtime start',
      job: job([{ id: 'a', deadlineAt: 10 * H }]),
      now: 5 * H,
      release: [],
    },
    {
      name: 'a job still running at deadline − allowance releases that member (exact edge)',
      job: job([{ id: 'a', deadlineAt: 10 * H }]),
      now: 10 * H - 60_000,
      release: ['a'],
    },
    {
      name: 'one millisecond before the edge, still waiting',
      job: job([{ id: 'a', deadlineAt: 10 * H }]),
      now: 10 * H - 60_001,
      release: [],
    },
    {
      name: 'only the members whose time has come are released',
      job: job([
        { id: 'a', deadlineAt: 10 * H },
        { id: 'b', deadlineAt: 6 * H },
      ]),
      now: 6 * H,
      release: ['b'],
    },
    {
      name: 'a job expected to finish after a member can be saved releases it at once',
      job: job([{ id: 'a', deadlineAt: 5 * H }], 5 * H),
      now: 1,
      release: ['a'],
    },
    {
      name: 'an estimate exactly at the last realtime start still counts as in time',
      job: job([{ id: 'a', deadlineAt: 5 * H }], 5 * H - 60_000),
      now: 1,
      release: [],
    },
    {
      name: 'members already past their deadline are released, earliest deadline first',
      job: job([
        { id: 'b', deadlineAt: 2 * H },
        { id: 'a', deadlineAt: 1 * H },
      ]),
      now: 3 * H,
      release: ['a', 'b'],
    },
    { name: 'an empty job releases no one', job: job([]), now: 10 * H, release: [] },
  ])('$name', ({ job, now, release }) => {
    expect(releaseLateMembers(job, now, policy)).toEqual(release);
  });
});

describe('nextReleaseAt', () => {
  it.each([
    {
      name: 'the earliest future release time',
      job: job([
        { id: 'a', deadlineAt: 10 * H },
        { id: 'b', deadlineAt: 8 * H },
      ]),
      now: 5 * H,
      at: 8 * H - 60_000,
    },
    {
      name: 'members already due are not waited for',
      job: job([
        { id: 'a', deadlineAt: 10 * H },
        { id: 'b', deadlineAt: 5 * H },
      ]),
      now: 5 * H,
      at: 10 * H - 60_000,
    },
    {
      name: 'nothing left to release',
      job: job([{ id: 'a', deadlineAt: H }]),
      now: 2 * H,
      at: null,
    },
  ])('$name', ({ job, now, at }) => {
    expect(nextReleaseAt(job, now, policy)).toBe(at);
  });
});
