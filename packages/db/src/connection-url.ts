/**
 * Prisma's URLs may carry `?schema=<name>` (the CLI puts tables there). node-postgres does not
 * know that parameter, so we take it out of the URL and apply it as the search_path ourselves,
 * which keeps our migrator, the client and `prisma migrate deploy` pointed at the same schema.
 */
export interface ParsedDatabaseUrl {
  /** The URL without the `schema` parameter, for node-postgres. */
  connectionString: string;
  /** The Postgres schema, when one other than the default was asked for. */
  schema: string | undefined;
}

export function parseDatabaseUrl(databaseUrl: string): ParsedDatabaseUrl {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new Error('DATABASE_URL is not a valid postgresql:// URL');
  }
  if (url.protocol !== 'postgresql:' && url.protocol !== 'postgres:') {
    throw new Error(`DATABASE_URL must start with postgresql://, got ${url.protocol}//`);
  }
  const schema = url.searchParams.get('schema') ?? undefined;
  url.searchParams.delete('schema');
  return {
    connectionString: url.toString(),
    schema: schema && schema !== 'public' ? schema : undefined,
  };
}

/** Quotes an identifier for SQL text (schema and database names cannot be bind parameters). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Same URL, other database: used to reach the admin database and per-test databases. */
export function withDatabase(databaseUrl: string, database: string): string {
  const url = new URL(databaseUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}
