/**
 * Names are attacker-controlled bytes. These functions make them safe to show: nothing a file is
 * called can move the operator's cursor, recolor the terminal or reorder what is displayed.
 */

/**
 * C0 and C1 controls, DEL, bidi embeddings/overrides/isolates and marks, zero-width and invisible
 * formatting characters, line/paragraph separators, the BOM, and interlinear annotations.
 */
const UNSAFE =
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3164\ufeff\ufff9-\ufffb]/gu;

/** UNSAFE without C0 controls: JSON.stringify escapes those itself, and layout newlines must stay. */
const UNSAFE_BEYOND_C0 = new RegExp(UNSAFE.source.replace('\\u0000-\\u001f', ''), 'gu');

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeChar(ch: string): string {
  const named = NAMED[ch];
  if (named) return named;
  const code = ch.codePointAt(0)!;
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

/** Escape every control, escape-sequence introducer and bidi/invisible character. Total. */
export function escapeUnsafe(text: string): string {
  // Lone surrogates cannot reach a terminal intact either.
  return text.replace(UNSAFE, escapeChar).replace(/[\ud800-\udfff]/g, (ch, offset: number, whole: string) => {
    const code = ch.charCodeAt(0);
    const pairedHigh = code <= 0xdbff && /[\udc00-\udfff]/.test(whole[offset + 1] ?? '');
    const pairedLow = code >= 0xdc00 && /[\ud800-\udbff]/.test(whole[offset - 1] ?? '');
    return pairedHigh || pairedLow ? ch : `\\u{${code.toString(16)}}`;
  });
}

/** Length of the valid UTF-8 sequence at `i` (no overlongs, no surrogates), or 0. */
function utf8SequenceLength(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i]!;
  if (b0 < 0x80) return 1;
  const need = b0 >= 0xc2 && b0 <= 0xdf ? 1 : b0 >= 0xe0 && b0 <= 0xef ? 2 : b0 >= 0xf0 && b0 <= 0xf4 ? 3 : 0;
  if (need === 0 || i + need >= bytes.length) return 0;
  for (let k = 1; k <= need; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return 0;
  const b1 = bytes[i + 1]!;
  if (b0 === 0xe0 && b1 < 0xa0) return 0;
  if (b0 === 0xed && b1 >= 0xa0) return 0;
  if (b0 === 0xf0 && b1 < 0x90) return 0;
  if (b0 === 0xf4 && b1 >= 0x90) return 0;
  return need + 1;
}

/** Decode UTF-8, writing each byte that is not part of a valid sequence as `\xNN`. */
export function printableBytes(bytes: Uint8Array, backslash = false): string {
  let out = '';
  let start = 0;
  let i = 0;
  while (i < bytes.length) {
    const len = utf8SequenceLength(bytes, i);
    if (len > 0 && !(backslash && bytes[i] === 0x5c)) {
      i += len;
      continue;
    }
    out += Buffer.from(bytes.subarray(start, i)).toString('utf8');
    out += len > 0 ? '\\\\' : `\\x${bytes[i]!.toString(16).padStart(2, '0')}`;
    i++;
    start = i;
  }
  return out + Buffer.from(bytes.subarray(start)).toString('utf8');
}

/**
 * A name on disk as reports show it: printableBytes with each backslash written `\\`, so a
 * name spelled `s\xff` never prints like one holding the byte 0xFF. Distinct names always print
 * differently, so the printable form can key plans and fingerprints.
 */
export const printableName = (bytes: Uint8Array): string => printableBytes(bytes, true);

/**
 * For text already serialized as JSON: write invisible and bidi characters as `\uXXXX` escapes
 * (JSON.stringify escapes C0 controls itself), so `cat report.json` cannot mislead a terminal.
 * Safe because such characters can only occur inside JSON strings.
 */
export function jsonAsciiSafe(json: string): string {
  // Plain ASCII (most reports) can hold only DEL of these: two native scans decide it, and the
  // regular expression runs only on reports that hold other characters.
  if (Buffer.byteLength(json) === json.length && !json.includes('\x7f')) return json;
  return json.replace(UNSAFE_BEYOND_C0, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
