/**
 * Name analysis: extensions as a careless server would see them, and the traversal decoder.
 * Pure functions over strings; every loop is bounded by the input length or a named constant.
 */

import type { NameAnalysis, NameTrick } from '../model/types.js';

/** Rounds of percent-decoding before we stop (covers double and triple encoding). */
const MAX_DECODE_ROUNDS = 4;

export interface DecodeOptions {
  /** Treat `+` as a space (query strings and form fields). */
  plusAsSpace?: boolean;
}

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  const lower = code | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

/** One round of `%XX` and `%uXXXX` decoding over bytes. Returns the input when nothing changed. */
function percentDecodeOnce(bytes: Uint8Array): Uint8Array {
  if (!bytes.includes(0x25)) return bytes;
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x25 && i + 2 < bytes.length) {
      const h = hexValue(bytes[i + 1]!);
      const l = hexValue(bytes[i + 2]!);
      if (h >= 0 && l >= 0) {
        out.push(h * 16 + l);
        i += 2;
        continue;
      }
      if ((bytes[i + 1]! | 0x20) === 0x75 && i + 5 < bytes.length) {
        const digits = [2, 3, 4, 5].map((k) => hexValue(bytes[i + k]!));
        if (digits.every((d) => d >= 0)) {
          const code = digits.reduce((acc, d) => acc * 16 + d, 0);
          out.push(...Buffer.from(String.fromCharCode(code), 'utf8'));
          i += 5;
          continue;
        }
      }
    }
    out.push(b);
  }
  return Uint8Array.from(out);
}

/**
 * Lenient UTF-8: overlong forms (`C0 AF` for `/`, `E0 80 AE` for `.`) decode to the character
 * they spell, as broken decoders do; other invalid bytes become U+FFFD.
 */
export function lenientUtf8(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b0 = bytes[i]!;
    if (b0 < 0x80) {
      out += String.fromCharCode(b0);
      continue;
    }
    const need = b0 >= 0xf8 ? -1 : b0 >= 0xf0 ? 3 : b0 >= 0xe0 ? 2 : b0 >= 0xc0 ? 1 : -1;
    if (need < 0 || i + need >= bytes.length) {
      out += '\uFFFD';
      continue;
    }
    let code = b0 & (0x3f >> need);
    let ok = true;
    for (let k = 1; k <= need; k++) {
      const b = bytes[i + k]!;
      if ((b & 0xc0) !== 0x80) {
        ok = false;
        break;
      }
      code = (code << 6) | (b & 0x3f);
    }
    if (!ok) {
      out += '\uFFFD';
      continue;
    }
    const invalid = code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff);
    out += invalid ? '\uFFFD' : String.fromCodePoint(code);
    i += need;
  }
  return out;
}

/** Decode percent escapes repeatedly (bounded), then overlong UTF-8; report whether it changed. */
export function decodeRepeatedly(
  input: string,
  options: DecodeOptions = {},
): { decoded: string; rounds: number } {
  // Nothing to decode in the common case: no escapes, and (for query strings) no plus signs.
  if (
    !input.includes('%') &&
    !(options.plusAsSpace && input.includes('+')) &&
    !/[\ud800-\udfff]/.test(input)
  ) {
    return { decoded: input, rounds: 0 };
  }
  let bytes: Uint8Array = Buffer.from(options.plusAsSpace ? input.replaceAll('+', ' ') : input, 'utf8');
  let rounds = 0;
  while (rounds < MAX_DECODE_ROUNDS) {
    const next = percentDecodeOnce(bytes);
    if (next === bytes || Buffer.compare(next, bytes) === 0) break;
    bytes = next;
    rounds++;
  }
  const decoded = lenientUtf8(bytes);
  return { decoded, rounds: decoded === input ? 0 : Math.max(rounds, 1) };
}

export type TraversalForm = 'dot-dot' | 'absolute' | 'drive' | 'unc' | 'backslash';

/** Characters that NFKC or a lenient server maps to `.`, `/` or `\` (fullwidth forms, division slash). */
const COMPATIBLE = /[\uff0e\uff0f\uff3c\u2024\u2215\u2044\u29f5\ufe68\ufe52]/;
const SLASH_LIKE = /[\u2215\u2044]/g;
const BACKSLASH_LIKE = /[\u29f5]/g;

let lastTraversal:
  | { input: string; plus: boolean; result: { forms: TraversalForm[]; decoded: string } }
  | undefined;

/** How a (decoded) name or path could climb out of the folder it is stored in. Memoizes the last call. */
export function traversalForms(
  input: string,
  options: DecodeOptions = {},
): { forms: TraversalForm[]; decoded: string } {
  const plus = options.plusAsSpace === true;
  if (lastTraversal?.input === input && lastTraversal.plus === plus) return lastTraversal.result;
  const result = computeTraversalForms(input, options);
  lastTraversal = { input, plus, result };
  return result;
}

function computeTraversalForms(
  input: string,
  options: DecodeOptions,
): { forms: TraversalForm[]; decoded: string } {
  const { decoded: raw } = decodeRepeatedly(input, options);
  // Look-alikes a server's Unicode normalization turns into `.`, `/` and `\` count as them.
  const decoded = COMPATIBLE.test(raw)
    ? raw.normalize('NFKC').replace(SLASH_LIKE, '/').replace(BACKSLASH_LIKE, '\\')
    : raw;
  // Every form needs a separator, a colon or `..`: most names have none of them.
  if (!decoded.includes('..') && !/[\\/:]/.test(decoded)) return { forms: [], decoded };
  const forms = new Set<TraversalForm>();
  const cut = decoded.split('\0')[0] ?? '';
  const slashed = decoded.replaceAll('\\', '/');
  // `..;jsessionid=x` is `..` to Tomcat and Jetty, which drop a segment's path parameters.
  const climbs = (path: string): boolean => path.split('/').some((seg) => /^\.\.(?: *$|;)/.test(seg));
  // `....//` survives a filter that strips `../` once: it becomes `../`. Either needs `..`.
  if (decoded.includes('..') && (climbs(slashed) || climbs(slashed.replaceAll('../', ''))))
    forms.add('dot-dot');
  if (/^\\\\|^\/\//.test(cut)) forms.add('unc');
  else if (slashed.startsWith('/')) forms.add('absolute');
  if (/^[a-zA-Z]:/.test(cut)) forms.add('drive');
  if (decoded.includes('\\') && !forms.has('dot-dot') && !forms.has('unc')) forms.add('backslash');
  return { forms: [...forms], decoded };
}

/**
 * Whether a path climbs out of where it starts once decoded (traversalForms' `dot-dot`), decided
 * without decoding for the paths that cannot: no `..`, no escape, nothing outside ASCII (a
 * look-alike dot or slash is not ASCII). Runs once per upload record with a stored path.
 */
export function climbsOut(path: string): boolean {
  if (!path.includes('..') && !path.includes('%') && !NOT_ASCII.test(path)) return false;
  return traversalForms(path).forms.includes('dot-dot');
}

const NOT_ASCII = /[^\x00-\x7f]/;

/** The most a name component may take on common filesystems (ext4, NTFS, APFS): 255 bytes. */
export const MAX_NAME_BYTES = 255;

const PLAIN_NAME = new RegExp(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,${MAX_NAME_BYTES - 1}}$`);

/**
 * A name of ASCII letters, digits, `_`, `-` and `.` that starts with neither `.` nor `-` and fits
 * MAX_NAME_BYTES: no escapes to decode, no separator, colon, space, control or bidi character,
 * nothing hidden, nothing too long. Most uploaded names are plain, and the rules about the
 * characters of a name can find nothing in them (see `skipsPlainNames`).
 */
export const isPlainName = (name: string): boolean => PLAIN_NAME.test(name);

/** An archive entry's path inside its own archive: nested entries join their archives' with `!` (`a.zip!x/y.php`). */
export const innermostPath = (path: string): string => path.slice(path.lastIndexOf('!') + 1);

/**
 * The final component of a name that may carry `/` or `\\` separators (a client name, a zip
 * entry). One backward scan: called several times per log record, where two lastIndexOf calls
 * cost a third more.
 */
export function lastComponent(name: string): string {
  for (let i = name.length - 1; i >= 0; i--) {
    const c = name.charCodeAt(i);
    if (c === 0x2f || c === 0x5c) return name.slice(i + 1);
  }
  return name;
}

/** Every dot-separated part after the first, lower-cased; a leading dot starts no extension. */
export function extensionsOf(name: string): string[] {
  let start = 0;
  while (name.charCodeAt(start) === 0x2e) start++;
  const first = name.indexOf('.', start);
  if (first < 0) return [];
  // Most names have one extension: no split, no array of parts.
  if (name.indexOf('.', first + 1) < 0) return [name.slice(first + 1).toLowerCase()];
  return name
    .slice(start)
    .split('.')
    .slice(1)
    .map((p) => p.toLowerCase());
}

const continuation = (b: number | undefined): boolean => b !== undefined && (b & 0xc0) === 0x80;

/**
 * Whether raw name bytes hold an overlong UTF-8 spelling of an ASCII character (C0/C1 and a
 * continuation byte; E0, 80-81 and one more; F0 80, 80-81 and one more): what strict decoders
 * refuse and lenient ones read as `.`, `/` or `\` (`C0 AE` is `.`). Legacy encodings that are
 * merely not UTF-8 (Latin-1, Shift-JIS) do not spell ASCII this way.
 */
function hasOverlongUtf8(raw: Uint8Array): boolean {
  for (let i = 0; i + 1 < raw.length; i++) {
    const b = raw[i]!;
    const next = raw[i + 1]!;
    if ((b === 0xc0 || b === 0xc1) && continuation(next)) return true;
    if (b === 0xe0 && (next === 0x80 || next === 0x81) && continuation(raw[i + 2])) return true;
    if (
      b === 0xf0 &&
      next === 0x80 &&
      (raw[i + 2] === 0x80 || raw[i + 2] === 0x81) &&
      continuation(raw[i + 3])
    )
      return true;
  }
  return false;
}

/**
 * Extensions and tricks of `name`. `raw`: the name's bytes on disk when they are not valid UTF-8;
 * overlong forms in them are read the way a lenient decoder reads them (`shell\xc0\xaephp`).
 */
export function analyzeName(name: string, raw?: Uint8Array): NameAnalysis {
  const tricks: NameTrick[] = [];
  let effective = name;
  const overlong = raw && hasOverlongUtf8(raw) ? lenientUtf8(raw) : undefined;
  if (overlong !== undefined) {
    tricks.push('overlong-utf8');
    effective = overlong;
  }
  const { decoded } = decodeRepeatedly(effective);
  if (decoded !== effective) {
    tricks.push('encoded');
    effective = decoded;
  }
  const nul = effective.indexOf('\0');
  if (nul >= 0) {
    tricks.push('nul-byte');
    effective = effective.slice(0, nul);
  }
  const colon = effective.indexOf(':', 1);
  if (colon >= 0 && !/^[a-zA-Z]:/.test(effective)) {
    tricks.push('ntfs-stream');
    effective = effective.slice(0, colon);
  }
  const semi = effective.indexOf(';');
  if (semi > 0) {
    tricks.push('semicolon');
    effective = effective.slice(0, semi);
  }
  const lastChar = effective.charCodeAt(effective.length - 1);
  const trimmed = lastChar === 0x2e || lastChar === 0x20 ? effective.replace(/[. ]+$/, '') : effective;
  if (trimmed !== effective && trimmed.length > 0) {
    tricks.push('trailing-dot-space');
    effective = trimmed;
  }
  const extensions = extensionsOf(name);
  const effectiveName = effective.toLowerCase();
  // Without tricks the effective name is the name: its extensions are the ones just computed.
  const effectiveExts = tricks.length === 0 ? extensions : extensionsOf(effectiveName);
  return {
    base: lastComponent(name),
    extensions,
    extension: extensions.at(-1) || undefined,
    effectiveName,
    effectiveExtension: effectiveExts.at(-1) || undefined,
    tricks,
    ...(overlong !== undefined && { overlong }),
  };
}
