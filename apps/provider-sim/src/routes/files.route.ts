import type { FastifyInstance, FastifyRequest } from 'fastify';
import { jsonlLines } from '../batch-input';
import type { FileStore } from '../file-store';
import { multipartBoundary, parseMultipart } from '../multipart';
import { invalidRequest, missingParameter, OpenAiError } from '../openai-error';
import type { SimContext } from '../sim-context';

/** Room for the multipart envelope around a file of the maximum size. */
const MULTIPART_OVERHEAD_BYTES = 1024 * 1024;

export const noSuchFile = (id: string) =>
  new OpenAiError(404, `No such File object: ${id}`, 'invalid_request_error', 'id');

/** /v1/files for batch input and output files (purpose `batch`; outputs are `batch_output`). */
export function registerFiles(app: FastifyInstance, ctx: SimContext, store: FileStore): void {
  const bodyLimit = ctx.config.SIM_FILE_MAX_BYTES + MULTIPART_OVERHEAD_BYTES;
  app.addContentTypeParser(
    'multipart/form-data',
    { parseAs: 'buffer', bodyLimit },
    (_req, body, done) => done(null, body),
  );

  app.post('/files', { bodyLimit }, async (req) => {
    const { file, filename, purpose } = readUpload(req);
    checkBatchFile(ctx, file, filename);
    return store.create(file, filename, purpose, ctx.now());
  });

  app.get('/files', async (req) => {
    const { purpose } = req.query as { purpose?: string };
    const data = store.list(purpose);
    return {
      object: 'list',
      data,
      first_id: data[0]?.id ?? null,
      last_id: data.at(-1)?.id ?? null,
      has_more: false,
    };
  });

  app.get('/files/:id', async (req) => {
    const { id } = req.params as { id: string };
    const file = store.get(id);
    if (!file) throw noSuchFile(id);
    return file;
  });

  app.get('/files/:id/content', async (req, reply) => {
    const { id } = req.params as { id: string };
    const content = store.content(id);
    if (!content) throw noSuchFile(id);
    return reply.header('content-type', 'application/octet-stream').send(content);
  });

  app.delete('/files/:id', async (req) => {
    const { id } = req.params as { id: string };
    if (!store.delete(id)) throw noSuchFile(id);
    return { id, object: 'file', deleted: true };
  });
}

function readUpload(req: FastifyRequest): { file: Buffer; filename: string; purpose: 'batch' } {
  const boundary = multipartBoundary(req.headers['content-type']);
  if (!Buffer.isBuffer(req.body) || !boundary) {
    throw invalidRequest(
      "Invalid content type. The files endpoint expects 'multipart/form-data' with a 'file' and a 'purpose'.",
    );
  }
  const parts = parseMultipart(req.body, boundary);
  const purposePart = parts.find((p) => p.name === 'purpose');
  const filePart = parts.find((p) => p.name === 'file');
  if (!purposePart) throw missingParameter('purpose');
  if (!filePart) throw missingParameter('file');
  const purpose = purposePart.data.toString('utf8').trim();
  // The simulator only serves the Batch API; other purposes exist at OpenAI but do nothing here.
  if (purpose !== 'batch') {
    throw invalidRequest(
      `Invalid value for 'purpose': '${purpose}'. The simulator supports 'batch' only.`,
      'purpose',
      'invalid_value',
    );
  }
  return { file: filePart.data, filename: filePart.filename ?? 'file', purpose };
}

function checkBatchFile(ctx: SimContext, file: Buffer, filename: string): void {
  const { SIM_FILE_MAX_BYTES: maxBytes, SIM_FILE_MAX_LINES: maxLines } = ctx.config;
  if (!filename.toLowerCase().endsWith('.jsonl')) {
    throw invalidRequest('Invalid file format for Batch API. Must be .jsonl', 'file');
  }
  if (file.length > maxBytes) {
    throw invalidRequest(
      `File is too large: ${file.length} bytes. The maximum size for a batch input file is ${maxBytes} bytes.`,
      'file',
      'file_too_large',
    );
  }
  const lines = jsonlLines(file.toString('utf8')).length;
  if (lines > maxLines) {
    throw invalidRequest(
      `The batch input file has ${lines} requests; the maximum is ${maxLines}.`,
      'file',
      'too_many_requests_in_file',
    );
  }
}
