import type { FastifyInstance } from 'fastify';

/** Listens and logs one `listening` line with the bound URL (port 0 resolves to the real port). */
export async function listenAndLog(
  server: FastifyInstance,
  address: { port: number; host: string },
  fields: Record<string, unknown> = {},
): Promise<string> {
  await server.listen(address);
  const { port } = server.server.address() as { port: number };
  const url = `http://${address.host}:${port}`;
  server.log.info({ url, ...fields }, 'listening');
  return url;
}
