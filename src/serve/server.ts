/**
 * `upload-audit serve`: the same policy at upload time. An upload handler in any language POSTs
 * the upload's bytes to /v1/check and gets the verdict the nightly audit would give the stored
 * file: the same Auditor, rules, policy, overrides by destination path, and suppressions.
 * Nothing is written to disk; a body is held in memory up to --max-body, and one over the
 * policy's size limit for its name is answered as soon as the limit is passed.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { DailyAuditor } from '../audit/auditor.js';
import { auditBytes } from '../audit/one.js';
import { reaches } from '../audit/severity.js';
import { MemoryBytes } from '../inspect/memory-bytes.js';
import { analyzeName, climbsOut, lastComponent } from '../inspect/names.js';
import type { Finding, InspectedFile, Severity } from '../model/types.js';
import type { PolicySet } from '../policy/policy.js';
import { jsonFinding } from '../reporters/json.js';
import overLimitRule from '../rules/size-over-limit.js';
import { escapeUnsafe } from '../util/escape.js';
import { firstFilePart, multipartBoundary } from './body.js';
import { ServerMetrics } from './metrics.js';

export interface ServeOptions {
  policy: PolicySet;
  failOn: Severity | 'none';
  /** Where to listen: a TCP port on a host, or a Unix socket. */
  listen: { host: string; port: number } | { socket: string };
  /** Requests must carry `Authorization: Bearer TOKEN` when set. */
  token?: string;
  /** Largest body accepted at all (413 beyond). */
  maxBodyBytes: number;
  /** Requests answered at once; more get 503 with Retry-After. */
  maxInFlight: number;
  /** Time for a whole request (headers and body), in ms. */
  requestTimeoutMs: number;
  /** One line per request (escaped names), or nothing. */
  log?: (line: string) => void;
}

/** The answer of /v1/check. */
export interface CheckAnswer {
  allowed: boolean;
  /**
   * false when the body was answered before it was whole (over the size limit), or holds
   * encrypted content (`encrypted` says what): never allowed.
   */
  complete: boolean;
  encrypted?: string;
  failOn: Severity | 'none';
  findings: Record<string, unknown>[];
  policy: { source: string; digest: string };
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The rule a body is weighed by as it streams in. */
const SIZE_RULE = [overLimitRule];

/** What the name, destination and declared type say of an upload, before any byte is read. */
function nameFacts(
  filename: string,
  path: string | undefined,
  contentType: string | undefined,
): InspectedFile {
  const name = lastComponent(filename);
  return {
    path: path ?? name,
    kind: 'file',
    name,
    size: 0,
    nameInfo: analyzeName(name),
    ...(contentType !== undefined && { declared: { contentType } }),
  };
}

export class CheckServer {
  readonly metrics = new ServerMetrics();
  /** The policy in force, with its Auditor: replaced whole on reload. */
  #auditors: DailyAuditor;
  #server: Server | undefined;

  constructor(private readonly options: ServeOptions) {
    this.#auditors = new DailyAuditor(options.policy);
  }

  get policy(): PolicySet {
    return this.#auditors.policy;
  }

  /** Take a new policy for the requests that start from now on; those running keep theirs. */
  reload(policy: PolicySet): void {
    this.#auditors = new DailyAuditor(policy);
    this.metrics.reloads.ok++;
  }

  /** Start listening; the address it listens on (a port chosen by the system for port 0). */
  async start(): Promise<string> {
    // The content readers (file-type, the zip reader) load with the first audit: not on a request.
    await auditBytes(
      new MemoryBytes(Buffer.from('warm-up')),
      { name: 'warm-up.txt' },
      this.#auditors.current,
    );
    const server = createServer((req, res) => void this.#handle(req, res));
    server.requestTimeout = this.options.requestTimeoutMs;
    server.headersTimeout = Math.min(this.options.requestTimeoutMs, 10_000);
    server.maxHeadersCount = 100;
    this.#server = server;
    const { listen } = this.options;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      if ('socket' in listen) server.listen(listen.socket, resolve);
      else server.listen(listen.port, listen.host, resolve);
    });
    const address = server.address();
    return typeof address === 'string'
      ? address
      : `http://${(address as AddressInfo).address}:${(address as AddressInfo).port}`;
  }

  /** Stop accepting; resolves when the requests in flight are answered. */
  close(): Promise<void> {
    return new Promise((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = `${req.method} ${url.pathname}`;
    let status = 500;
    let note = '';
    this.metrics.inFlight++;
    try {
      if (this.metrics.inFlight > this.options.maxInFlight) {
        res.setHeader('Retry-After', '1');
        throw new HttpError(503, 'busy: too many requests in flight');
      }
      if (this.options.token !== undefined && req.headers.authorization !== `Bearer ${this.options.token}`)
        throw new HttpError(401, 'missing or wrong bearer token');
      if (route === 'GET /healthz') {
        status = 200;
        return send(res, 200, { status: 'ok', policy: policyInfo(this.policy) });
      }
      if (route === 'GET /metrics') {
        status = 200;
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
        res.end(this.metrics.text());
        return;
      }
      if (url.pathname !== '/v1/check')
        throw new HttpError(404, 'no such route: POST /v1/check, GET /healthz, GET /metrics');
      if (req.method !== 'POST') throw new HttpError(405, 'use POST');
      const answer = await this.#check(req, url);
      status = 200;
      note = ` ${answer.allowed ? 'allowed' : 'refused'} ${answer.findings.length} findings${answer.complete ? '' : ' (answered before the whole body)'}`;
      // An answer before the whole body: the rest is not read; the connection closes.
      if (!answer.complete) res.setHeader('connection', 'close');
      send(res, 200, answer);
      if (!answer.complete) req.destroy();
    } catch (error) {
      status = error instanceof HttpError ? error.status : 500;
      const message = error instanceof HttpError ? error.message : 'internal error';
      note = ` ${message}`;
      if (!res.headersSent) send(res, status, { error: message });
      if (status === 413) req.destroy();
    } finally {
      this.metrics.inFlight--;
      this.metrics.request(
        url.pathname === '/v1/check' || url.pathname === '/healthz' || url.pathname === '/metrics'
          ? url.pathname
          : 'other',
        status,
      );
      const ms = (performance.now() - started).toFixed(1);
      const name = url.searchParams.get('filename');
      this.options.log?.(
        `${req.socket.remoteAddress ?? 'local'} ${escapeUnsafe(route)}${name === null ? '' : ` ${JSON.stringify(escapeUnsafe(name))}`} ${status}${note} ${ms} ms`,
      );
    }
  }

  async #check(req: IncomingMessage, url: URL): Promise<CheckAnswer> {
    // One Auditor for the whole request: a reload meanwhile does not change its verdict.
    const auditor = this.#auditors.current;
    const boundary = multipartBoundary(req.headers['content-type']);
    let filename = url.searchParams.get('filename') ?? undefined;
    if (filename === undefined && boundary === undefined)
      throw new HttpError(400, "say the client's file name: /v1/check?filename=NAME");
    const path = url.searchParams.get('path') ?? undefined;
    if (path !== undefined && (path.startsWith('/') || climbsOut(path)))
      throw new HttpError(400, 'path must be relative to the upload folder and stay inside it');
    const declaredType = boundary === undefined ? req.headers['content-type'] : undefined;

    // The body, up to --max-body; a raw body over the size limit for its name is judged at once.
    const chunks: Buffer[] = [];
    let received = 0;
    // The name's facts, made once: each chunk only changes the size the size rule weighs.
    const sizeFacts =
      boundary === undefined && filename !== undefined ? nameFacts(filename, path, declaredType) : undefined;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      received += chunk.length;
      if (received > this.options.maxBodyBytes)
        throw new HttpError(413, `the body is over --max-body (${this.options.maxBodyBytes} bytes)`);
      chunks.push(chunk);
      if (sizeFacts) {
        sizeFacts.size = received;
        // Only the size rule: the content rules have seen no content yet.
        const over = auditor.weigh(sizeFacts, sizeFacts.path, SIZE_RULE);
        if (over.length > 0) return this.#answer(auditor.policy, auditor.complete(over, undefined), false);
      }
    }
    let bytes: Buffer = Buffer.concat(chunks, received);
    let contentType = declaredType;
    if (boundary !== undefined) {
      const part = firstFilePart(bytes, boundary);
      if (!part) throw new HttpError(400, 'a multipart body without a part');
      bytes = part.bytes;
      filename ??= part.filename;
      contentType = part.contentType;
      if (filename === undefined)
        throw new HttpError(400, 'the part has no file name; say it: ?filename=NAME');
    }
    const started = performance.now();
    const { facts, findings } = await auditBytes(
      new MemoryBytes(bytes),
      { name: filename!, ...(contentType !== undefined && { contentType }) },
      auditor,
      path ?? lastComponent(filename!),
    );
    // Encrypted content was not seen: the answer is not complete, so it is not allowed.
    return this.#answer(
      auditor.policy,
      findings,
      facts.encrypted === undefined,
      (performance.now() - started) / 1000,
      facts.encrypted,
    );
  }

  #answer(
    policy: PolicySet,
    findings: Finding[],
    complete: boolean,
    seconds = 0,
    encrypted?: string,
  ): CheckAnswer {
    const judged = findings.filter((f) => f.suppressed === undefined);
    // Fails closed: what was not read whole was not checked, and is never allowed.
    const allowed = complete && !judged.some((f) => reaches(f.severity, this.options.failOn));
    this.metrics.verdict(
      allowed,
      judged.map((f) => f.severity),
      seconds,
    );
    return {
      allowed,
      complete,
      ...(encrypted !== undefined && { encrypted }),
      failOn: this.options.failOn,
      findings: findings.map(jsonFinding),
      policy: policyInfo(policy),
    };
  }
}

const policyInfo = (policy: PolicySet): { source: string; digest: string } => ({
  source: policy.source,
  digest: policy.digest,
});

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(`${JSON.stringify(body)}\n`);
}
