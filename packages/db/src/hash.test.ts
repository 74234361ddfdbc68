import { describe, expect, it } from 'vitest';
import { auditEventHash } from './audit.repository';
import { canonicalJson, sha256Hex } from './hash';
import { checksumMatches } from './migration-files';

describe('canonicalJson', () => {
  it('sorts keys at every level and drops undefined, so equal values hash equally', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ y: 1, x: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[{"x":2,"y":1}]},"b":1}',
    );
    expect(canonicalJson({ at: new Date('2026-11-22T10:00:00Z') })).toBe(
      '{"at":"2026-11-22T10:00:00.000Z"}',
    );
  });
});

describe('auditEventHash', () => {
  const e = {
    id: 'e1',
    tenantId: 't',
    requestId: 'r',
    type: 'cache.miss',
    at: new Date('2026-11-22T10:00:00.123Z'),
    data: { a: 1, b: 2 },
  };

  it('chains on the previous hash and ignores key order', () => {
    const first = auditEventHash(null, e);
    expect(first).toBe(auditEventHash(null, { ...e, data: { b: 2, a: 1 } }));
    expect(auditEventHash(first, e)).not.toBe(first);
    expect(first).toBe(sha256Hex(`\n${canonicalJson({ ...e })}`));
  });
});

describe('checksumMatches', () => {
  const sql = 'CREATE TABLE "a" ("id" TEXT);\n\nCREATE INDEX "a_id_idx" ON "a"("id");\n';

  it('is Prisma’s checksum: sha256 hex of the script, tolerant of LF/CRLF conversion', () => {
    expect(checksumMatches(sql, sha256Hex(sql))).toBe(true);
    expect(checksumMatches(sql.replace(/\n/g, '\r\n'), sha256Hex(sql))).toBe(true);
    expect(checksumMatches(sql, sha256Hex(sql.replace(/\n/g, '\r\n')))).toBe(true);
    expect(checksumMatches(`${sql}-- edit\n`, sha256Hex(sql))).toBe(false);
  });
});
