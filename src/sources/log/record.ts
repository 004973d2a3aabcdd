/**
 * What every log format yields: an upload record, the one shape the log source turns into an
 * item's facts, and the interface a format module implements.
 */

/** What a log says about one upload attempt. */
export interface UploadRecord {
  /** The name the client sent (may hold a path, tricks, anything). */
  filename?: string;
  storedPath?: string;
  size?: number;
  contentType?: string;
  user?: string;
  client?: string;
  timestamp?: string;
  sha256?: string;
  /** What the service did: true stored, false rejected, undefined unknown. */
  accepted?: boolean;
  /** Combined logs: the request path, checked for traversal too. */
  requestPath?: string;
  /**
   * Combined logs: a request that ran a script inside an upload folder (evidence of a live web
   * shell), not an upload. `script` is the path below the upload folder; `command`, for a file
   * that is no script by its name, the shell command its query handed it (`cmd=id`); `include`,
   * for a file below an upload folder that a script elsewhere was made to include.
   */
  executed?: {
    method: string;
    status: number;
    script: string;
    command?: string;
    /** A script elsewhere (`page`) made to include the upload by a query `parameter`. */
    include?: { page: string; parameter: string };
  };
}
/** What parsing a line may use besides the line: the JSON Lines field mapping, the upload paths. */
interface ParseOptions {
  fields: Partial<Record<string, string>>;
  uploadPath: RegExp;
  /**
   * What a format remembers from one line to the next of the part being read (a W3C log's
   * `#Fields:` line says how to read the lines after it); a new object for each part.
   */
  state: Record<string, unknown>;
}

/**
 * A log format: recognized from a log's first meaningful line, then parsing each line into an
 * upload record, a reason it is malformed, or undefined when the line is no upload at all.
 */
export interface LogFormatModule {
  detect(firstLine: string): boolean;
  parse(text: string, options: ParseOptions): UploadRecord | string | undefined;
  /** Set when a file must be read from its start (its header lines say how to read the rest): never cut into parts. */
  whole?: true;
}
