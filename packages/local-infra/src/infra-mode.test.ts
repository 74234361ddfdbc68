import { describe, expect, it } from 'vitest';
import { componentsToStart, infraMode } from './infra-mode';

describe('infraMode', () => {
  it('keeps local processes unless INFRA=containers', () => {
    expect(infraMode({})).toBe('local');
    expect(infraMode({ INFRA: '' })).toBe('local');
    expect(infraMode({ INFRA: 'local' })).toBe('local');
    expect(infraMode({ INFRA: 'containers' })).toBe('containers');
    expect(infraMode({ INFRA: ' containers ' })).toBe('containers');
  });

  it('rejects unknown values instead of silently starting local servers', () => {
    expect(() => infraMode({ INFRA: 'container' })).toThrow(/INFRA=container is not supported/);
    expect(() => infraMode({ INFRA: 'docker' })).toThrow(/use INFRA=containers/);
  });
});

describe('componentsToStart', () => {
  it('starts all three when no env var provides a server', () => {
    expect(componentsToStart({})).toEqual(['kafka', 'redis', 'postgres']);
  });

  it('never starts a component given through its env var', () => {
    expect(componentsToStart({ KAFKA_BROKERS: '10.0.0.1:9092' })).toEqual(['redis', 'postgres']);
    expect(componentsToStart({ REDIS_URL: 'redis://r:6379' })).toEqual(['kafka', 'postgres']);
    expect(componentsToStart({ DATABASE_URL: 'postgresql://p/asahi' })).toEqual(['kafka', 'redis']);
    expect(
      componentsToStart({
        KAFKA_BROKERS: 'k:9092',
        REDIS_URL: 'redis://r:6379',
        DATABASE_URL: 'postgresql://p/asahi',
      }),
    ).toEqual([]);
  });

  it('treats an empty env var as unset', () => {
    expect(componentsToStart({ KAFKA_BROKERS: '', REDIS_URL: 'redis://r:6379' })).toEqual([
      'kafka',
      'postgres',
    ]);
  });
});
