import { defineConfig } from 'prisma/config';

/**
 * Prisma 7 reads the datasource URL and the migrations folder from here, not from schema.prisma.
 * The URL is optional on purpose: `prisma generate` needs no database, and `env('DATABASE_URL')`
 * would throw when it is unset. Commands that do need it (`migrate deploy`, `migrate status`)
 * report a missing URL themselves. Our own runtime migrator (`npm run db:migrate`) does not read
 * this file.
 */
const url = process.env.DATABASE_URL;

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  ...(url ? { datasource: { url } } : {}),
});
