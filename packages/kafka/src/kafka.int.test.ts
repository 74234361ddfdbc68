import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { Admin, KafkaMessage } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  HEADERS,
  deadLetterSchema,
  fixtures,
  parseWith,
  requestMessageSchema,
  type DeadLetter,
  type RequestMessage,
} from '@asahi/contracts';
import { AppError } from '@asahi/errors';
import { readInfraEndpoints } from '@asahi/local-infra';
import { createLogger } from '@asahi/logger';
import {
  createBatchingSender,
  createJsonProducer,
  createKafka,
  ensureTopics,
  requestHeaders,
  runValidatedConsumer,
  type ConsumedMessage,
  type JsonProducer,
  type Kafka,
} from './index';

/*
 * Integration tests of @asahi/kafka against the real local broker. Every test creates its own
 * topics and consumer groups (unique names) and removes them afterwards.
 */

const logger = createLogger({ service: 'test', level: 'silent' });
const RUN = `it-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
let seq = 0;
const uid = (label: string) => `${RUN}-${++seq}-${label}`;

let brokers: string[];
let kafka: Kafka;
let admin: Admin;

/** What the current test created, removed in afterEach (closers in reverse order first). */
let closers: (() => Promise<unknown>)[] = [];
let topics: string[] = [];
let groups: string[] = [];

beforeAll(async () => {
  const infra = readInfraEndpoints();
  if (!infra) {
    throw new Error(
      'local infra is not running: run `npx tsx scripts/infra/cli.ts up` (or set KAFKA_BROKERS)',
    );
  }
  brokers = infra.kafkaBrokers.split(',');
  kafka = createKafka({ brokers, clientId: `${RUN}-client`, logger });
  admin = kafka.admin();
  await admin.connect();
});

afterEach(async () => {
  const toClose = closers.reverse();
  const toDelete = { groups, topics };
  closers = [];
  groups = [];
  topics = [];
  // Every step runs even if an earlier one fails, so one failure never leaks into the next test.
  const errors: unknown[] = [];
  const attempt = (step: () => Promise<unknown>) =>
    step().catch((err: unknown) => errors.push(err));
  for (const close of toClose) await attempt(close);
  if (toDelete.groups.length > 0) await attempt(() => admin.deleteGroups(toDelete.groups));
  if (toDelete.topics.length > 0)
    await attempt(() => admin.deleteTopics({ topics: toDelete.topics }));
  if (errors.length > 0) throw new AggregateError(errors, 'cleanup failed');
});

afterAll(async () => {
  await admin?.disconnect();
});

async function newTopics(count: number, partitions: number): Promise<string[]> {
  const names = Array.from({ length: count }, (_, i) => uid(`t${i}`));
  topics.push(...names);
  await ensureTopics(kafka, names, { partitions });
  return names;
}

function newGroup(label: string): string {
  const groupId = uid(label);
  groups.push(groupId);
  return groupId;
}

async function newProducer(): Promise<JsonProducer> {
  const producer = await createJsonProducer(kafka);
  closers.push(() => producer.disconnect());
  return producer;
}

async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reads `count` messages from the start of `topic` with a plain kafkajs consumer. */
async function readMessages(topic: string, count: number): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId: newGroup('reader') });
  const got: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        got.push(message);
      },
    });
    await waitFor(() => got.length >= count, `${count} messages on ${topic}`);
  } finally {
    await consumer.disconnect();
  }
  return got;
}

/** How many records the topic holds (sum of high watermarks; no transactions, no compaction). */
async function recordCount(topic: string): Promise<number> {
  // A fresh KRaft broker can briefly answer metadata for a new topic with "does not host this
  // topic-partition" on a client that has not seen it yet; kafkajs' admin retries only
  // LEADER_NOT_AVAILABLE, so retry the read itself a few times.
  for (let attempt = 1; ; attempt++) {
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets.reduce((sum, p) => sum + Number(p.high), 0);
    } catch (err) {
      if (attempt >= 10) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function committedOffset(groupId: string, topic: string, partition = 0): Promise<string> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return entry?.partitions.find((p) => p.partition === partition)?.offset ?? '-1';
}

/** A valid RequestMessage: the golden fixture with a fresh request id. */
function requestMessage(overrides: Partial<RequestMessage> = {}): RequestMessage {
  return requestMessageSchema.parse({
    ...(fixtures.request() as RequestMessage),
    requestId: uid('req'),
    ...overrides,
  });
}

/** The reason the consumer must give for a value JSON.parse rejects (engine wording varies). */
function notJsonReason(text: string): string {
  try {
    JSON.parse(text);
  } catch (err) {
    return `value is not JSON: ${(err as Error).message}`;
  }
  throw new Error(`${text} is valid JSON`);
}

const headerText = (message: KafkaMessage) =>
  Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));

describe('createKafka', () => {
  it('returns a client connected to the broker whose WARN+ logs go to the pino logger', async () => {
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
        done();
      },
    });
    const capture = createLogger({ service: 'test', level: 'debug', destination });
    const client = createKafka({ brokers, clientId: uid('client'), logger: capture });

    const clusterAdmin = client.admin();
    await clusterAdmin.connect();
    try {
      const cluster = await clusterAdmin.describeCluster();
      expect(cluster.brokers.length).toBeGreaterThanOrEqual(1);
    } finally {
      await clusterAdmin.disconnect();
    }

    client.logger().info('chatty info', { n: 1 });
    client.logger().error('broker exploded', { n: 2 });
    const ours = lines.filter((l) => l.n !== undefined);
    expect(ours).toEqual([
      expect.objectContaining({
        level: 'error',
        msg: 'broker exploded',
        component: 'kafkajs',
        service: 'test',
        n: 2,
      }),
    ]);
  });
});

describe('ensureTopics', () => {
  it('creates missing topics with the given partitions and is idempotent', async () => {
    const [a, b] = (await newTopics(2, 3)) as [string, string];
    // Second call: nothing to do, must not throw (TopicAlreadyExists would).
    await ensureTopics(kafka, [a, b], { partitions: 3 });
    // Mixed: one exists, one is new; the existing one keeps its partition count.
    const c = uid('t-extra');
    topics.push(c);
    await ensureTopics(kafka, [a, c], { partitions: 2 });

    // Two processes starting at once: both calls succeed, whoever creates the topic.
    const d = uid('t-race');
    topics.push(d);
    await Promise.all([
      ensureTopics(kafka, [d], { partitions: 1 }),
      ensureTopics(kafka, [d], { partitions: 1 }),
    ]);

    const { topics: metadata } = await admin.fetchTopicMetadata({ topics: [a, b, c, d] });
    const partitions = Object.fromEntries(metadata.map((t) => [t.name, t.partitions.length]));
    expect(partitions).toEqual({ [a]: 3, [b]: 3, [c]: 2, [d]: 1 });
    // Leaders are elected before ensureTopics returns.
    for (const t of metadata)
      for (const p of t.partitions) expect(p.leader).toBeGreaterThanOrEqual(0);
  });
});

describe('createJsonProducer', () => {
  it('sends JSON values with the key and requestHeaders; readable by a plain consumer', async () => {
    const [topic] = (await newTopics(1, 3)) as [string];
    const producer = await newProducer();
    const messages = [requestMessage(), requestMessage({ traceparent: undefined })];

    await producer.send(
      topic,
      messages.map((m) => ({ key: m.requestId, value: m, headers: requestHeaders(m) })),
    );

    const read = await readMessages(topic, 2);
    expect(await recordCount(topic)).toBe(2);
    const byKey = new Map(read.map((m) => [m.key?.toString('utf8'), m]));
    for (const sent of messages) {
      const got = byKey.get(sent.requestId);
      expect(got, `message ${sent.requestId}`).toBeDefined();
      expect(JSON.parse(got!.value!.toString('utf8'))).toEqual(sent);
      const expectedHeaders: Record<string, string> = {
        [HEADERS.requestId]: sent.requestId,
        [HEADERS.tenantId]: sent.tenantId,
        [HEADERS.schemaVersion]: '1',
      };
      // An undefined header (no traceparent) is left out rather than sent empty.
      if (sent.traceparent) expectedHeaders[HEADERS.traceparent] = sent.traceparent;
      expect(headerText(got!)).toEqual(expectedHeaders);
    }
  });

  it('sending nothing is a no-op; a write to a missing topic fails as AppError unavailable', async () => {
    const producer = await newProducer();
    await expect(producer.send(uid('never-created'), [])).resolves.toBeUndefined();

    // No automatic topic creation: the broker would auto-create, the producer must not ask it to.
    const missing = uid('missing');
    const err = await producer.send(missing, [{ key: 'k', value: { a: 1 } }]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'unavailable', retryable: true });
    expect((err as AppError).message).toContain(`Kafka write to ${missing} failed`);
    const existing = await admin.listTopics();
    expect(existing).not.toContain(missing);
  });
});

describe('createBatchingSender', () => {
  it('groups 200 concurrent sends into produce requests; each resolves after its ack; all arrive', async () => {
    const [topic] = (await newTopics(1, 3)) as [string];
    const real = await newProducer();
    // A decorator over the real producer (not a mock): records batch sizes and acknowledged keys.
    const batches: number[] = [];
    const acked = new Set<string>();
    const recording: JsonProducer = {
      raw: real.raw,
      disconnect: () => real.disconnect(),
      async send(t, messages) {
        batches.push(messages.length);
        await real.send(t, messages);
        for (const m of messages) acked.add(m.key);
      },
    };
    const sender = createBatchingSender(recording, { topic, maxBatch: 50, lingerMs: 5 });

    const keys = Array.from({ length: 200 }, (_, i) => `k-${i}`);
    let resolvedBeforeAck = 0;
    await Promise.all(
      keys.map((key, n) =>
        sender.send({ key, value: { n } }).then(() => {
          if (!acked.has(key)) resolvedBeforeAck++;
        }),
      ),
    );

    expect(resolvedBeforeAck).toBe(0);
    expect(batches).toEqual([50, 50, 50, 50]);
    expect(await recordCount(topic)).toBe(200);
    const read = await readMessages(topic, 200);
    expect(new Set(read.map((m) => m.key?.toString('utf8')))).toEqual(new Set(keys));
    const values = read.map((m) => (JSON.parse(m.value!.toString('utf8')) as { n: number }).n);
    expect(values.sort((x, y) => x - y)).toEqual(keys.map((_, n) => n));

    // Fewer than maxBatch: the linger timer sends them as one request.
    await Promise.all([0, 1, 2].map((n) => sender.send({ key: `late-${n}`, value: { n } })));
    expect(batches).toEqual([50, 50, 50, 50, 3]);
  });

  it('flush() sends what is pending without waiting for the linger', async () => {
    const [topic] = (await newTopics(1, 1)) as [string];
    const producer = await newProducer();
    const sender = createBatchingSender(producer, { topic, lingerMs: 60_000 });
    let settled = 0;
    const sends = [1, 2, 3].map((n) =>
      sender.send({ key: `f-${n}`, value: { n } }).then(() => settled++),
    );
    await sleep(50);
    expect(settled).toBe(0);
    await sender.flush();
    expect(settled).toBe(3);
    await Promise.all(sends);
    expect(await recordCount(topic)).toBe(3);
  });

  it('rejects every send of a batch the producer could not write (disconnected producer)', async () => {
    const [topic] = (await newTopics(1, 1)) as [string];
    const producer = await createJsonProducer(kafka);
    await producer.disconnect();
    const sender = createBatchingSender(producer, { topic });

    const outcomes = await Promise.allSettled([
      sender.send({ key: 'a', value: 1 }),
      sender.send({ key: 'b', value: 2 }),
    ]);
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      const reason = (outcome as PromiseRejectedResult).reason as unknown;
      expect(reason).toBeInstanceOf(AppError);
      expect(reason).toMatchObject({ code: 'unavailable' });
      expect((reason as AppError).message).toMatch(/disconnected/i);
    }
    await expect(sender.flush()).resolves.toBeUndefined();
    expect(await recordCount(topic)).toBe(0);
  });
});

describe('runValidatedConsumer', () => {
  interface Setup {
    topic: string;
    deadLetterTopic: string;
    groupId: string;
    producer: JsonProducer;
  }

  async function setup(partitions: number): Promise<Setup> {
    const [topic, deadLetterTopic] = (await newTopics(2, partitions)) as [string, string];
    return {
      topic,
      deadLetterTopic,
      groupId: newGroup('validated'),
      producer: await newProducer(),
    };
  }

  function start(
    s: Setup,
    handleBatch: (items: ConsumedMessage<RequestMessage>[]) => Promise<void>,
    extra: { handlerRetries?: number; onDeadLetter?: (reason: string) => void } = {},
  ) {
    return runValidatedConsumer({
      kafka,
      groupId: s.groupId,
      topics: [s.topic],
      schema: requestMessageSchema,
      logger,
      deadLetters: s.producer,
      deadLetterTopic: s.deadLetterTopic,
      handleBatch,
      ...extra,
    }).then((running) => {
      closers.push(() => running.stop());
      return running;
    });
  }

  const send = (s: Setup, messages: RequestMessage[]) =>
    s.producer.send(
      s.topic,
      messages.map((m) => ({ key: m.requestId, value: m, headers: requestHeaders(m) })),
    );

  it('hands valid messages to handleBatch with parsed values, headers and positions', async () => {
    const s = await setup(3);
    const sent = Array.from({ length: 10 }, () => requestMessage());
    await send(s, sent);

    const received: ConsumedMessage<RequestMessage>[] = [];
    await start(s, async (items) => {
      received.push(...items);
    });
    await waitFor(() => received.length >= sent.length, 'all valid messages');
    await sleep(300);

    expect(received).toHaveLength(sent.length);
    const byId = new Map(received.map((r) => [r.value.requestId, r]));
    for (const m of sent) {
      const got = byId.get(m.requestId)!;
      expect(got.value).toEqual(m);
      expect(got.topic).toBe(s.topic);
      expect(got.partition).toBeGreaterThanOrEqual(0);
      expect(got.partition).toBeLessThan(3);
      expect(got.offset).toMatch(/^\d+$/);
      expect(got.headers).toEqual({
        [HEADERS.requestId]: m.requestId,
        [HEADERS.tenantId]: m.tenantId,
        [HEADERS.schemaVersion]: '1',
        [HEADERS.traceparent]: m.traceparent,
      });
    }
    expect(await recordCount(s.deadLetterTopic)).toBe(0);
  });

  it('dead-letters invalid JSON and schema violations with reason, raw value and offset, and keeps going', async () => {
    const s = await setup(1);
    const schemaViolation = { ...requestMessage(), mode: 'bogus', requestId: undefined };
    const expectedViolation = parseWith(requestMessageSchema, schemaViolation);
    expect(expectedViolation.ok).toBe(false);
    const violationReason = (expectedViolation as { reason: string }).reason;
    expect(violationReason).toContain('requestId:');
    expect(violationReason).toContain('mode:');
    const firstValid = requestMessage();
    const secondValid = requestMessage();
    const notUtf8 = Buffer.from([0xff, 0xfe, 0x7b]);

    // Raw writes: the JSON producer could not produce malformed values.
    await s.producer.raw.send({
      topic: s.topic,
      messages: [
        { key: 'bad-json', value: '{"schemaVersion": 1,' }, // offset 0
        { key: 'bad-schema', value: JSON.stringify(schemaViolation) }, // offset 1
        { key: null, value: notUtf8 }, // offset 2
        { key: 'tombstone', value: null }, // offset 3
        { key: firstValid.requestId, value: JSON.stringify(firstValid) }, // offset 4
      ],
    });

    const received: ConsumedMessage<RequestMessage>[] = [];
    const reasons: string[] = [];
    await start(
      s,
      async (items) => {
        received.push(...items);
      },
      { onDeadLetter: (reason) => reasons.push(reason) },
    );
    await waitFor(() => received.length >= 1, 'the valid message after the invalid ones');
    expect(received.map((r) => [r.value.requestId, r.offset])).toEqual([
      [firstValid.requestId, '4'],
    ]);

    // The consumer is still alive: more bad input, then another valid message.
    await s.producer.raw.send({
      topic: s.topic,
      messages: [
        { key: 'bad-json-2', value: 'plain text' }, // offset 5
        { key: secondValid.requestId, value: JSON.stringify(secondValid) }, // offset 6
      ],
    });
    await waitFor(() => received.length >= 2, 'the second valid message');
    expect(received.map((r) => r.value.requestId)).toEqual([
      firstValid.requestId,
      secondValid.requestId,
    ]);

    const records = await readMessages(s.deadLetterTopic, 5);
    expect(await recordCount(s.deadLetterTopic)).toBe(5);
    const letters = records
      .map((m) => ({ kafkaKey: m.key?.toString('utf8'), letter: parseDeadLetter(m) }))
      .sort((a, b) => Number(a.letter.offset) - Number(b.letter.offset));
    const common = {
      schemaVersion: 1,
      sourceTopic: s.topic,
      partition: 0,
      consumerGroup: s.groupId,
    };
    expect(letters.map((l) => l.letter)).toEqual([
      {
        ...common,
        offset: '0',
        key: 'bad-json',
        value: '{"schemaVersion": 1,',
        valueEncoding: 'utf8',
        reason: notJsonReason('{"schemaVersion": 1,'),
        at: expect.any(String),
      },
      {
        ...common,
        offset: '1',
        key: 'bad-schema',
        value: JSON.stringify(schemaViolation),
        valueEncoding: 'utf8',
        reason: violationReason,
        at: expect.any(String),
      },
      {
        ...common,
        offset: '2',
        key: null,
        value: notUtf8.toString('base64'),
        valueEncoding: 'base64',
        reason: notJsonReason(notUtf8.toString('utf8')),
        at: expect.any(String),
      },
      {
        ...common,
        offset: '3',
        key: 'tombstone',
        value: null,
        valueEncoding: 'utf8',
        reason: 'empty message value',
        at: expect.any(String),
      },
      {
        ...common,
        offset: '5',
        key: 'bad-json-2',
        value: 'plain text',
        valueEncoding: 'utf8',
        reason: notJsonReason('plain text'),
        at: expect.any(String),
      },
    ]);
    // Dead letters are keyed by the original key, or topic-partition-offset when it had none.
    expect(letters.map((l) => l.kafkaKey)).toEqual([
      'bad-json',
      'bad-schema',
      `${s.topic}-0-2`,
      'tombstone',
      'bad-json-2',
    ]);
    expect(reasons).toEqual(letters.map((l) => l.letter.reason));
    // Everything up to the last message is committed (just after the last handleBatch resolved).
    await waitFor(
      async () => (await committedOffset(s.groupId, s.topic)) === '7',
      'offset 7 to be committed',
      10_000,
    );
  });

  it('commits only after handleBatch resolves: a failing batch is redelivered, then handled once', async () => {
    const s = await setup(1);
    const target = requestMessage();
    await send(s, [target]);

    let failuresLeft = 2;
    const calls: { outcome: 'threw' | 'ok'; offsets: string[]; committedDuringCall: string }[] = [];
    const handled: string[] = [];
    // handlerRetries 0: a throw goes straight back to kafkajs, so the second and third calls are
    // genuine redeliveries from the broker, not in-process retries of the same chunk.
    const first = await start(
      s,
      async (items) => {
        const committedDuringCall = await committedOffset(s.groupId, s.topic);
        const offsets = items.map((i) => i.offset);
        if (failuresLeft > 0) {
          failuresLeft--;
          calls.push({ outcome: 'threw', offsets, committedDuringCall });
          throw new Error('downstream unavailable');
        }
        calls.push({ outcome: 'ok', offsets, committedDuringCall });
        handled.push(...items.map((i) => i.value.requestId));
      },
      { handlerRetries: 0 },
    );

    await waitFor(() => handled.length >= 1, 'the message to be handled after two failures');
    await waitFor(
      async () => (await committedOffset(s.groupId, s.topic)) === '1',
      'the offset commit after the successful handleBatch',
      10_000,
    );
    await sleep(1_000); // Nothing else may arrive: the commit sticks.

    expect(calls).toEqual([
      { outcome: 'threw', offsets: ['0'], committedDuringCall: '-1' },
      { outcome: 'threw', offsets: ['0'], committedDuringCall: '-1' },
      { outcome: 'ok', offsets: ['0'], committedDuringCall: '-1' },
    ]);
    expect(handled).toEqual([target.requestId]);

    await first.stop();
    expect(await committedOffset(s.groupId, s.topic)).toBe('1');

    // A new member of the same group starts from the committed offset: only the new message.
    const seenByNext: string[] = [];
    await start(s, async (items) => {
      seenByNext.push(...items.map((i) => i.value.requestId));
    });
    const sentinel = requestMessage();
    await send(s, [sentinel]);
    await waitFor(() => seenByNext.includes(sentinel.requestId), 'the sentinel message');
    expect(seenByNext).toEqual([sentinel.requestId]);
  });
});

function parseDeadLetter(message: KafkaMessage): DeadLetter {
  const parsed = parseWith(deadLetterSchema, JSON.parse(message.value!.toString('utf8')));
  if (!parsed.ok) throw new Error(`dead letter does not match its schema: ${parsed.reason}`);
  return parsed.value;
}
