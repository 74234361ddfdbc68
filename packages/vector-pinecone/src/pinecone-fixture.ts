import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FilterError, matchesFilter, type Filter, type Metadata } from './metadata-filter';

/**
 * A local stand-in for one Pinecone serverless index's data plane, for tests: the subset of the
 * REST API that `@pinecone-database/pinecone` v8 calls for upsert, query, delete and stats
 * (`POST /vectors/upsert`, `/query`, `/vectors/delete`, `/describe_index_stats`), with the same
 * JSON shapes, `Api-Key` authentication, per-namespace storage, metadata filters and real cosine
 * scores. Not a Pinecone emulator beyond that.
 */
export interface PineconeFixtureOptions {
  apiKey: string;
  dimension: number;
}

export interface PineconeFixture {
  /** `http://127.0.0.1:<port>`: pass it as the index host. */
  url: string;
  /** Every request received, in order (path and parsed body), for assertions. */
  requests: { path: string; body: Record<string, unknown> }[];
  /** Record ids stored in a namespace (sorted). */
  ids(namespace: string): string[];
  close(): Promise<void>;
}

interface StoredRecord {
  values: number[];
  norm: number;
  metadata: Metadata;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startPineconeFixture(
  options: PineconeFixtureOptions,
): Promise<PineconeFixture> {
  const namespaces = new Map<string, Map<string, StoredRecord>>();
  const requests: PineconeFixture['requests'] = [];
  const routes = fixtureRoutes(namespaces, options.dimension);

  const server: Server = createServer((req, res) => {
    void handle(req, res);
  });
  async function handle(req: IncomingMessage, res: ServerResponse) {
    try {
      if (req.headers['api-key'] !== options.apiKey) throw new HttpError(401, 'Invalid API Key');
      const path = (req.url ?? '').split('?')[0]!;
      const route = routes[path];
      if (req.method !== 'POST' || !route)
        throw new HttpError(404, `Not Found: ${req.method} ${path}`);
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = (
        chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {}
      ) as Record<string, unknown>;
      requests.push({ path, body });
      send(res, 200, route(body));
    } catch (err) {
      const status = err instanceof HttpError ? err.status : err instanceof FilterError ? 400 : 500;
      send(res, status, {
        code: status === 400 ? 3 : 16,
        message: (err as Error).message,
        details: [],
      });
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    ids: (namespace) => [...(namespaces.get(namespace)?.keys() ?? [])].sort(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** The handlers by path, over the fixture's namespaces. */
function fixtureRoutes(
  namespaces: Map<string, Map<string, StoredRecord>>,
  dimension: number,
): Record<string, (body: Record<string, unknown>) => unknown> {
  const space = (name: unknown) => {
    const key = typeof name === 'string' ? name : '';
    let ns = namespaces.get(key);
    if (!ns) namespaces.set(key, (ns = new Map()));
    return ns;
  };
  const checkValues = (values: unknown): number[] => {
    if (!Array.isArray(values) || values.length !== dimension)
      throw new HttpError(
        400,
        `Vector dimension ${Array.isArray(values) ? values.length : 0} does not match the dimension of the index ${dimension}`,
      );
    return values as number[];
  };

  return {
    '/vectors/upsert': (body) => {
      const vectors = (body.vectors ?? []) as {
        id: string;
        values: unknown;
        metadata?: Metadata;
      }[];
      const ns = space(body.namespace);
      for (const v of vectors) {
        const values = checkValues(v.values);
        ns.set(v.id, { values, norm: Math.hypot(...values), metadata: v.metadata ?? {} });
      }
      return { upsertedCount: vectors.length };
    },
    '/query': (body) => {
      const vector = checkValues(body.vector);
      const topK = Number(body.topK);
      if (!(topK >= 1)) throw new HttpError(400, 'topK must be positive');
      const norm = Math.hypot(...vector);
      const matches = [...space(body.namespace).entries()]
        .filter(([, r]) => matchesFilter(r.metadata, body.filter as Filter | undefined))
        .map(([id, r]) => ({ id, r, score: cosine(vector, norm, r) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, topK)
        .map(({ id, r, score }) => ({
          id,
          score,
          values: body.includeValues ? r.values : [],
          ...(body.includeMetadata ? { metadata: r.metadata } : {}),
        }));
      return { results: [], matches, namespace: body.namespace ?? '', usage: { readUnits: 5 } };
    },
    '/vectors/delete': (body) => {
      const ns = space(body.namespace);
      if (body.deleteAll) ns.clear();
      for (const id of (body.ids ?? []) as string[]) ns.delete(id);
      if (body.filter)
        for (const [id, r] of ns)
          if (matchesFilter(r.metadata, body.filter as Filter)) ns.delete(id);
      return {};
    },
    '/describe_index_stats': () => {
      const summary: Record<string, { vectorCount: number }> = {};
      let total = 0;
      for (const [name, ns] of namespaces) {
        if (ns.size === 0) continue;
        summary[name] = { vectorCount: ns.size };
        total += ns.size;
      }
      return {
        namespaces: summary,
        dimension: dimension,
        indexFullness: 0,
        totalVectorCount: total,
        metric: 'cosine',
        vectorType: 'dense',
      };
    },
  };
}

function cosine(query: number[], queryNorm: number, r: StoredRecord): number {
  let s = 0;
  for (let i = 0; i < query.length; i++) s += query[i]! * r.values[i]!;
  return queryNorm === 0 || r.norm === 0 ? 0 : s / (queryNorm * r.norm);
}

function send(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
