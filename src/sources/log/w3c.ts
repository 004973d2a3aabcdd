/**
 * IIS and CloudFront (and other W3C extended format) access logs: fields separated by spaces or
 * tabs, in the order the last `#Fields:` directive gave, `-` for an empty one. Judged as combined logs are: writes to upload
 * paths are uploads, and a script run inside an upload folder (an .aspx web shell) is evidence.
 */
import { judgeRequest, type RequestFields } from './combined.js';
import type { LogFormatModule, UploadRecord } from './record.js';

/** IIS's default fields, for lines read before any `#Fields:` directive. */
const IIS_DEFAULT_FIELDS =
  'date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken';

/** Where the fields a record needs stand in a line; -1 where the log does not have one. */
interface Columns {
  count: number;
  date: number;
  time: number;
  method: number;
  stem: number;
  query: number;
  user: number;
  client: number;
  status: number;
}

function columnsOf(fields: string): Columns {
  const names = fields.trim().split(/\s+/);
  const at = (name: string): number => names.findIndex((n) => n.toLowerCase() === name);
  return {
    count: names.length,
    date: at('date'),
    time: at('time'),
    method: at('cs-method'),
    stem: at('cs-uri-stem'),
    query: at('cs-uri-query'),
    user: at('cs-username'),
    client: at('c-ip'),
    status: at('sc-status'),
  };
}

const DEFAULT_COLUMNS = columnsOf(IIS_DEFAULT_FIELDS);

/** A W3C line: a record, undefined for a directive or a line that is no upload, or why it is malformed. */
export function parseW3cLine(
  text: string,
  uploadPath: RegExp,
  state: Record<string, unknown>,
): UploadRecord | string | undefined {
  if (text.startsWith('#')) {
    if (/^#Fields:/i.test(text)) state.w3cColumns = columnsOf(text.slice(8));
    return undefined;
  }
  const columns = (state.w3cColumns as Columns | undefined) ?? DEFAULT_COLUMNS;
  // IIS separates fields with spaces, CloudFront with tabs (both encode them inside a value).
  const values = text.trim().split(/[ \t]/);
  if (values.length !== columns.count)
    return `not a W3C line of the ${columns.count} fields its #Fields directive declares`;
  const value = (at: number): string | undefined => (at < 0 || values[at] === '-' ? undefined : values[at]);
  const method = value(columns.method);
  const stem = value(columns.stem);
  if (method === undefined || stem === undefined) return 'a W3C line without cs-method or cs-uri-stem';
  const query = value(columns.query);
  const fields: RequestFields = {
    client: value(columns.client) ?? '-',
    user: value(columns.user) ?? '-',
    timestamp: [value(columns.date), value(columns.time)].filter(Boolean).join(' '),
    method,
    url: query === undefined ? stem : `${stem}?${query}`,
    status: value(columns.status) ?? '000',
  };
  return judgeRequest(fields, uploadPath);
}

export const w3c: LogFormatModule = {
  // A directive IIS writes first, or a data line in its default shape.
  detect: (line) =>
    /^#(?:Software: Microsoft Internet Information Services|Version: 1\.0|Fields: )/i.test(line) ||
    /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \S+ [A-Z]+ \//.test(line),
  parse: (text, options) => parseW3cLine(text, options.uploadPath, options.state),
  whole: true,
};
