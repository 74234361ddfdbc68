/** One part of a multipart/form-data body. */
export interface FormPart {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

/** The boundary from a `multipart/form-data; boundary=…` content type, if any. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  const match = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType ?? '');
  return match ? (match[1] ?? match[2])?.trim() : undefined;
}

/**
 * Splits a multipart/form-data body (RFC 7578) into its parts. Enough for what SDKs send (the
 * openai SDK's `files.create`: a `purpose` field and a `file` part); no nested multiparts.
 */
export function parseMultipart(body: Buffer, boundary: string): FormPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: FormPart[] = [];
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    const afterDelimiter = start + delimiter.length;
    // `--boundary--` closes the body.
    if (body.subarray(afterDelimiter, afterDelimiter + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, afterDelimiter);
    if (next === -1) break;
    const part = parsePart(body.subarray(afterDelimiter, next));
    if (part) parts.push(part);
    start = next;
  }
  return parts;
}

function parsePart(raw: Buffer): FormPart | undefined {
  // raw = CRLF headers CRLF CRLF data CRLF
  const headerEnd = raw.indexOf('\r\n\r\n');
  if (headerEnd === -1) return undefined;
  const headers = raw.subarray(0, headerEnd).toString('utf8').split('\r\n');
  let data = raw.subarray(headerEnd + 4);
  if (data.subarray(-2).toString() === '\r\n') data = data.subarray(0, -2);
  let name: string | undefined;
  let filename: string | undefined;
  let contentType: string | undefined;
  for (const header of headers) {
    const [key, ...rest] = header.split(':');
    const value = rest.join(':').trim();
    if (key?.trim().toLowerCase() === 'content-disposition') {
      name = /\bname="([^"]*)"/i.exec(value)?.[1];
      filename = /\bfilename="([^"]*)"/i.exec(value)?.[1];
    } else if (key?.trim().toLowerCase() === 'content-type') {
      contentType = value;
    }
  }
  return name === undefined ? undefined : { name, filename, contentType, data };
}
