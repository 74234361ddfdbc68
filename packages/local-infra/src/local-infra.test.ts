import { describe, expect, it } from 'vitest';
import { randomClusterId, renderLog4j2Config, renderServerProperties } from './kafka-config';
import { parseJavaMajor } from './kafka';
import { parseErrorFields } from './pg-probe';
import { infraEnv } from './index';

function parseProperties(text: string): Record<string, string> {
  const entries = text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const);
  return Object.fromEntries(entries);
}

describe('renderServerProperties', () => {
  const props = parseProperties(
    renderServerProperties({ brokerPort: 19092, controllerPort: 19093, dataDir: '/tmp/k' }),
  );

  it('runs broker and controller in one KRaft node on 127.0.0.1', () => {
    expect(props['process.roles']).toBe('broker,controller');
    expect(props['controller.quorum.voters']).toBe('1@127.0.0.1:19093');
    expect(props.listeners).toBe('PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093');
    expect(props['advertised.listeners']).toBe('PLAINTEXT://127.0.0.1:19092');
    expect(props['log.dirs']).toBe('/tmp/k');
  });

  it('uses single-broker replication settings and dev-friendly defaults', () => {
    expect(props).toMatchObject({
      'offsets.topic.replication.factor': '1',
      'transaction.state.log.replication.factor': '1',
      'transaction.state.log.min.isr': '1',
      'auto.create.topics.enable': 'true',
      'num.partitions': '3',
      'group.initial.rebalance.delay.ms': '0',
    });
  });
});

describe('renderLog4j2Config', () => {
  it('routes the root logger to the given file', () => {
    const text = renderLog4j2Config('/tmp/k/server.log');
    expect(text).toContain('appender.file.fileName = /tmp/k/server.log');
    expect(text).toContain('rootLogger.appenderRef.file.ref = FILE');
  });
});

describe('helpers', () => {
  it('generates 22-char URL-safe cluster ids that do not look like flags', () => {
    for (let i = 0; i < 200; i++)
      expect(randomClusterId()).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  });

  it('parses java -version output', () => {
    expect(parseJavaMajor('openjdk version "17.0.15" 2025-04-15')).toBe(17);
    expect(parseJavaMajor('java version "1.8.0_412"')).toBe(8);
    expect(parseJavaMajor('openjdk version "21" 2023-09-19')).toBe(21);
    expect(parseJavaMajor('command not found')).toBeUndefined();
  });

  it('parses a PostgreSQL ErrorResponse body', () => {
    const body = Buffer.from('SFATAL\0C3D000\0Mdatabase "x" does not exist\0\0', 'utf8');
    expect(parseErrorFields(body)).toEqual({
      code: '3D000',
      message: 'database "x" does not exist',
    });
  });

  it('maps endpoints to env vars', () => {
    const env = infraEnv({
      kafkaBrokers: 'k:1',
      redisUrl: 'redis://r:2',
      databaseUrl: 'postgresql://p:3/db',
      started: [],
    });
    expect(env).toEqual({
      KAFKA_BROKERS: 'k:1',
      REDIS_URL: 'redis://r:2',
      DATABASE_URL: 'postgresql://p:3/db',
    });
  });
});
