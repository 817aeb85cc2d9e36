// A small multipart/form-data reader for the trust server's update endpoint (RFC 7578): the
// notary client sends one part per role, `Content-Disposition: form-data; name="files";
// filename="<role>"`, the metadata bytes as the body.

export interface Part {
  headers: Record<string, string>;
  data: Buffer;
}

/** The boundary of a multipart/form-data Content-Type, undefined when it is not one. */
export function multipartBoundary(contentType: string): string | undefined {
  const [type, ...params] = contentType.split(';');
  if (type?.trim().toLowerCase() !== 'multipart/form-data') return undefined;
  for (const p of params) {
    const m = /^\s*boundary\s*=\s*(?:"([^"]{1,70})"|([^\s";]{1,70}))\s*$/i.exec(p);
    if (m) return m[1] ?? m[2];
  }
  return undefined;
}

/** Splits a multipart body; undefined when it is malformed (or has more than maxParts parts). */
export function parseMultipart(contentType: string, body: Buffer, maxParts: number): Part[] | undefined {
  const boundary = multipartBoundary(contentType);
  if (!boundary) return undefined;
  const delim = Buffer.from(`--${boundary}`, 'latin1');
  const next = Buffer.from(`\r\n--${boundary}`, 'latin1');
  let pos = body.indexOf(delim);
  if (pos < 0) return undefined;
  const parts: Part[] = [];
  for (;;) {
    pos += delim.length;
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) return parts; // closing delimiter
    while (body[pos] === 0x20 || body[pos] === 0x09) pos++;
    if (body[pos] !== 0x0d || body[pos + 1] !== 0x0a) return undefined;
    pos += 2;
    if (parts.length >= maxParts) return undefined;
    let headerEnd: number;
    let dataStart: number;
    if (body[pos] === 0x0d && body[pos + 1] === 0x0a) {
      headerEnd = pos;
      dataStart = pos + 2;
    } else {
      headerEnd = body.indexOf('\r\n\r\n', pos, 'latin1');
      if (headerEnd < 0) return undefined;
      dataStart = headerEnd + 4;
    }
    const headers: Record<string, string> = {};
    const headerText = body.subarray(pos, headerEnd).toString('utf8');
    for (const line of headerText.split('\r\n')) {
      if (line === '') continue;
      const i = line.indexOf(':');
      if (i <= 0) return undefined;
      headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const end = body.indexOf(next, dataStart);
    if (end < 0) return undefined;
    parts.push({ headers, data: body.subarray(dataStart, end) });
    pos = end + 2;
  }
}

/** The filename parameter of a part's Content-Disposition (quoted or token form). */
export function partFilename(headers: Record<string, string>): string | undefined {
  const cd = headers['content-disposition'];
  if (!cd) return undefined;
  const m = /;\s*filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s";]+))/i.exec(cd);
  if (!m) return undefined;
  return m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2];
}
