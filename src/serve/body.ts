/**
 * An upload's body as the check server receives it: raw bytes, or one file in a
 * multipart/form-data body (what browsers and most HTTP clients send), with the name and type
 * its part declares.
 */
export interface UploadPart {
  bytes: Buffer;
  filename?: string;
  contentType?: string;
}

/** The boundary of a multipart/form-data Content-Type, or undefined for any other type. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data\s*;/i.test(contentType)) return undefined;
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

/**
 * The first part of a multipart body that carries a file (a `filename` in its
 * Content-Disposition), or the first part when none does; undefined when the body is not one.
 */
export function firstFilePart(body: Buffer, boundary: string): UploadPart | undefined {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: UploadPart[] = [];
  let at = body.indexOf(delimiter);
  while (at !== -1) {
    const start = at + delimiter.length;
    if (body[start] === 0x2d && body[start + 1] === 0x2d) break; // the closing delimiter
    const headersEnd = body.indexOf('\r\n\r\n', start);
    if (headersEnd === -1) break;
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`), headersEnd + 4);
    if (next === -1) break;
    const headers = body.subarray(start, headersEnd).toString('utf8');
    const disposition = /content-disposition:[^\r\n]*/i.exec(headers)?.[0] ?? '';
    const filename = /filename\*?=(?:"([^"]*)"|([^;\s]+))/i.exec(disposition);
    const type = /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1]?.trim();
    parts.push({
      bytes: body.subarray(headersEnd + 4, next),
      ...(filename && { filename: filename[1] ?? filename[2]! }),
      ...(type !== undefined && { contentType: type }),
    });
    at = next + 2;
  }
  return parts.find((p) => p.filename !== undefined) ?? parts[0];
}
