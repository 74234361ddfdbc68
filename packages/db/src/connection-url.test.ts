import { describe, expect, it } from 'vitest';
import { parseDatabaseUrl, withDatabase } from './connection-url';

describe('parseDatabaseUrl', () => {
  it('takes Prisma’s ?schema= out of the URL for node-postgres', () => {
    expect(parseDatabaseUrl('postgresql://u:p@h:5432/db?schema=tenant1&sslmode=disable')).toEqual({
      connectionString: 'postgresql://u:p@h:5432/db?sslmode=disable',
      schema: 'tenant1',
    });
    expect(parseDatabaseUrl('postgres://h/db?schema=public').schema).toBeUndefined();
  });

  it('rejects what is not a postgres URL', () => {
    expect(() => parseDatabaseUrl('mysql://h/db')).toThrow(/postgresql:\/\//);
    expect(() => parseDatabaseUrl('nonsense')).toThrow(/not a valid/);
  });

  it('swaps the database, keeping credentials and parameters', () => {
    expect(withDatabase('postgresql://u:p@h:1/asahi?schema=s', 'other')).toBe(
      'postgresql://u:p@h:1/other?schema=s',
    );
  });
});
