/**
 * JSON Lines written by an upload service: common field spellings recognized, others mapped with
 * --field (dotted keys name nested values). A line that holds no upload record but a request is
 * a JSON access log's (Caddy, Traefik, Google Cloud, ECS, nginx's JSON), judged as combined lines are.
 */
import { InputError } from '../../util/errors.js';
import { judgeRequest, localTarget, type RequestFields } from './combined.js';
import type { LogFormatModule, UploadRecord } from './record.js';

const FIELDS = [
  'filename',
  'storedPath',
  'size',
  'contentType',
  'user',
  'client',
  'timestamp',
  'sha256',
  'status',
] as const;
export type Field = (typeof FIELDS)[number];

/** Field spellings recognized without configuration (snake_case and camelCase alike). */
const FIELD_ALIASES: Record<Field, readonly string[]> = {
  filename: [
    'filename',
    'file_name',
    'fileName',
    'original_filename',
    'originalFilename',
    'originalName',
    'original_name',
    'originalname',
    'client_filename',
    'name',
  ],
  storedPath: [
    'stored_path',
    'storedPath',
    'path',
    'stored_as',
    'storedAs',
    'storage_path',
    'storagePath',
    'key',
  ],
  size: ['size', 'bytes', 'file_size', 'fileSize', 'content_length', 'contentLength'],
  contentType: ['content_type', 'contentType', 'mimetype', 'mime_type', 'mimeType', 'mime', 'type'],
  user: ['user', 'username', 'user_name', 'userName', 'user_id', 'userId', 'uid'],
  client: ['client', 'ip', 'client_ip', 'clientIp', 'remote_addr', 'remoteAddr', 'remote_ip', 'remoteIp'],
  timestamp: ['timestamp', 'time', 'ts', '@timestamp', 'date', 'created_at', 'createdAt'],
  sha256: ['sha256', 'sha_256', 'hash', 'checksum'],
  status: ['status', 'result', 'outcome', 'accepted', 'stored', 'rejected'],
};

/** `--field NAME=KEY` (KEY may be dotted: `upload.meta.name`). */
export function parseFieldMapping(spec: string): [Field, string] {
  const match = /^([A-Za-z]+)=(.+)$/.exec(spec);
  if (!match || !(FIELDS as readonly string[]).includes(match[1]!)) {
    throw new InputError(`--field '${spec}': expected NAME=KEY with NAME one of ${FIELDS.join(', ')}`);
  }
  return [match[1] as Field, match[2]!];
}

/** Dotted keys split once: every line of a log looks up the same few keys. */
const KEY_PARTS = new Map<string, string[]>();

function lookup(object: Record<string, unknown>, key: string): unknown {
  if (Object.hasOwn(object, key)) return object[key];
  let parts = KEY_PARTS.get(key);
  if (parts === undefined) {
    parts = key.split('.');
    KEY_PARTS.set(key, parts);
  }
  if (parts.length === 1) return undefined;
  let value: unknown = object;
  for (const part of parts) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

const asText = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;

/** true stored, false rejected, from a status word, an HTTP code or a boolean field. */
function acceptedFrom(key: string, value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return key === 'rejected' ? !value : value;
  const text = asText(value)?.toLowerCase();
  if (text === undefined) return undefined;
  if (/^\d{3}$/.test(text)) return text.startsWith('2');
  if (/^(ok|stored|accepted|success|saved|uploaded|created)$/.test(text)) return true;
  if (/^(rejected|denied|blocked|refused|failed|error|invalid|quarantined)$/.test(text)) return false;
  return undefined;
}

type KeyTable = Map<string, { field: number; rank: number }>;
const tables = new WeakMap<object, KeyTable>();
const NO_MAPPING = {};

/** key → (field index in FIELDS, priority) for a mapping: the aliases, or for mapped fields only the given key. */
function keyTable(mapping: Partial<Record<Field, string>>): KeyTable {
  const id = Object.keys(mapping).length === 0 ? NO_MAPPING : mapping;
  let table = tables.get(id);
  if (!table) {
    table = new Map();
    FIELDS.forEach((field, index) => {
      const keys = mapping[field] !== undefined ? [mapping[field]!] : FIELD_ALIASES[field];
      keys.forEach((key, rank) => {
        if (!table!.has(key)) table!.set(key, { field: index, rank });
      });
    });
    tables.set(id, table);
  }
  return table;
}

const FIELD_INDEX = Object.fromEntries(FIELDS.map((f, i) => [f, i])) as Record<Field, number>;
const DOTTED = new WeakMap<object, [number, string][]>();

/** The --field keys that name nested values (`upload.meta.name`), looked up after the own keys. */
function dottedKeys(mapping: Partial<Record<Field, string>>): [number, string][] {
  let dotted = DOTTED.get(mapping);
  if (!dotted) {
    dotted = (Object.entries(mapping) as [Field, string][])
      .filter(([, key]) => key.includes('.'))
      .map(([field, key]) => [FIELD_INDEX[field], key]);
    DOTTED.set(mapping, dotted);
  }
  return dotted;
}

/**
 * The key and value of each field present, indexed as FIELDS: one pass over the object's own
 * keys through the alias table (the best-ranked alias wins), then dotted --field keys, which name
 * nested values. Arrays, not Maps: this runs once per log line.
 */
function fieldsOf(
  object: Record<string, unknown>,
  mapping: Partial<Record<Field, string>>,
): { keys: (string | undefined)[]; values: unknown[] } {
  const table = keyTable(mapping);
  const keys: (string | undefined)[] = new Array(FIELDS.length);
  const values: unknown[] = new Array(FIELDS.length);
  const ranks: number[] = [];
  for (const key in object) {
    const hit = table.get(key);
    if (hit === undefined) continue;
    const value = object[key];
    if (value === undefined || value === null || !Object.hasOwn(object, key)) continue;
    const current = ranks[hit.field];
    if (current === undefined || hit.rank < current) {
      ranks[hit.field] = hit.rank;
      keys[hit.field] = key;
      values[hit.field] = value;
    }
  }
  for (const [field, key] of dottedKeys(mapping)) {
    if (keys[field] !== undefined) continue;
    const value = lookup(object, key);
    if (value !== undefined && value !== null) {
      keys[field] = key;
      values[field] = value;
    }
  }
  return { keys, values };
}

/**
 * A JSON Lines record, or a reason it is not one. A line of a JSON access log (a request, no
 * upload record) is judged by `uploadPath` as combined lines are: undefined when it is no upload.
 */
export function parseJsonLine(
  text: string,
  mapping: Partial<Record<Field, string>>,
  uploadPath?: RegExp,
): UploadRecord | string | undefined {
  let object: unknown;
  try {
    object = JSON.parse(text);
  } catch {
    return 'not valid JSON';
  }
  if (object === null || typeof object !== 'object' || Array.isArray(object)) return 'not a JSON object';
  const { keys, values } = fieldsOf(object as Record<string, unknown>, mapping);
  if (values[FIELD_INDEX.filename] === undefined && values[FIELD_INDEX.storedPath] === undefined) {
    // No upload record: perhaps a web server's JSON access log, judged as combined lines are
    // (its `client` and `user` may well be objects: ECS writes client.ip and user.name).
    const request = requestFields(object as Record<string, unknown>);
    if (request === undefined || uploadPath === undefined) return 'no filename or stored path field';
    return judgeRequest(request, uploadPath);
  }
  // A field the log declares with the wrong shape (an object or list where text or a number
  // belongs) makes the line unreadable as an upload record, never the whole audit.
  const misshapen = FIELDS.findIndex((field, i) => field !== 'status' && typeof values[i] === 'object');
  if (misshapen >= 0)
    return `field '${keys[misshapen]}' holds ${Array.isArray(values[misshapen]) ? 'a list' : 'an object'}, not ${FIELDS[misshapen] === 'size' ? 'a number' : 'text'}`;
  // Every text field named, absent ones undefined: one kind of record for every line.
  const record: UploadRecord = {
    filename: asText(values[FIELD_INDEX.filename]),
    storedPath: asText(values[FIELD_INDEX.storedPath]),
    contentType: asText(values[FIELD_INDEX.contentType]),
    user: asText(values[FIELD_INDEX.user]),
    client: asText(values[FIELD_INDEX.client]),
    timestamp: asText(values[FIELD_INDEX.timestamp]),
    sha256: asText(values[FIELD_INDEX.sha256]),
  };
  const sizeKey = keys[FIELD_INDEX.size];
  if (sizeKey !== undefined) {
    const value = values[FIELD_INDEX.size];
    const size = typeof value === 'number' || typeof value === 'string' ? Number(value) : Number.NaN;
    if (Number.isFinite(size) && size >= 0) record.size = size;
  }
  const statusKey = keys[FIELD_INDEX.status];
  if (statusKey !== undefined) {
    const accepted = acceptedFrom(statusKey, values[FIELD_INDEX.status]);
    if (accepted !== undefined) record.accepted = accepted;
  }
  if (record.filename === undefined && record.storedPath === undefined)
    return 'no filename or stored path field';
  return record;
}

/**
 * Where JSON access logs keep a request's parts: Caddy (`request.method`, `request.uri`),
 * Traefik (`RequestMethod`, `RequestPath`, `DownstreamStatus`), Google Cloud's `httpRequest`,
 * Elastic Common Schema (`http.request.method`, `url.original`), Envoy, Cloudflare's Logpush
 * (`ClientRequestMethod`, `ClientRequestURI`, `EdgeResponseStatus`), Azure's Application
 * Gateway and Front Door (`properties.httpMethod`, `properties.requestUri`), and the names nginx
 * and Apache JSON formats are usually given (`request_method`, `request_uri`, or `request`
 * holding the whole request line).
 */
const REQUEST_KEYS = {
  method: [
    'request.method',
    'method',
    'request_method',
    'RequestMethod',
    'httpRequest.requestMethod',
    'http.request.method',
    'http_method',
    'verb',
    'ClientRequestMethod',
    'properties.httpMethod',
  ],
  url: [
    'request.uri',
    'uri',
    'request_uri',
    'RequestPath',
    'httpRequest.requestUrl',
    'url.original',
    'url',
    'request_url',
    'ClientRequestURI',
    'properties.requestUri',
  ],
  status: [
    'status',
    'response_code',
    'DownstreamStatus',
    'OriginStatus',
    'httpRequest.status',
    'http.response.status_code',
    'response.status',
    'status_code',
    'EdgeResponseStatus',
    'properties.httpStatus',
    'properties.httpStatusCode',
  ],
  client: [
    'request.remote_ip',
    'request.client_ip',
    'remote_addr',
    'remote_ip',
    'client_ip',
    'ClientHost',
    'ClientAddr',
    'httpRequest.remoteIp',
    'client.ip',
    'source.ip',
    'downstream_remote_address',
    'ip',
    'ClientIP',
    'properties.clientIP',
    'properties.clientIp',
  ],
  time: [
    'ts',
    'time',
    'timestamp',
    '@timestamp',
    'StartUTC',
    'time_local',
    'time_iso8601',
    'date',
    'EdgeStartTimestamp',
  ],
} as const;

const firstText = (object: Record<string, unknown>, keys: readonly string[]): string | undefined => {
  for (const key of keys) {
    const value = asText(lookup(object, key));
    if (value !== undefined && value !== '') return value;
  }
  return undefined;
};

/** A JSON access log line's request, as the combined format's fields; undefined when it has none. */
function requestFields(object: Record<string, unknown>): RequestFields | undefined {
  let method = firstText(object, REQUEST_KEYS.method);
  let url = firstText(object, REQUEST_KEYS.url);
  // nginx's and Apache's whole request line (`$request`, `%r`): `GET /a.php HTTP/1.1`.
  const line =
    typeof object.request === 'string' ? /^(\S+) (.+?)(?: HTTP\/[\d.]+)?$/.exec(object.request) : null;
  if (line) {
    method ??= line[1];
    url ??= line[2];
  }
  if (method === undefined || url === undefined) return undefined;
  return {
    client: firstText(object, REQUEST_KEYS.client) ?? '-',
    user: '-',
    timestamp: firstText(object, REQUEST_KEYS.time) ?? '',
    method,
    url: localTarget(url),
    status: firstText(object, REQUEST_KEYS.status) ?? '000',
  };
}

export const jsonl: LogFormatModule = {
  detect: (line) => line.startsWith('{'),
  parse: (text, options) => parseJsonLine(text, options.fields, options.uploadPath),
};
