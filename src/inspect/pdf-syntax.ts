/** PDF strings as the file writes them, read from latin1 text of its bytes. */

/** A PDF literal string's bytes from just after its `(`: escapes undone, balanced parentheses. */
export function literalString(text: string, from: number): number[] | undefined {
  const out: number[] = [];
  for (let i = from, depth = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\') {
      const next = text[++i] ?? '';
      const octal = /^[0-7]{1,3}/.exec(text.slice(i, i + 3));
      if (octal) {
        out.push(Number.parseInt(octal[0], 8) & 0xff);
        i += octal[0].length - 1;
      } else if (next === '\r' || next === '\n') {
        if (next === '\r' && text[i + 1] === '\n') i++;
      } else
        out.push(({ n: 10, r: 13, t: 9, b: 8, f: 12 } as Record<string, number>)[next] ?? next.charCodeAt(0));
      continue;
    }
    if (c === '(') depth++;
    if (c === ')' && depth-- === 0) return out;
    out.push(c.charCodeAt(0));
  }
  return undefined;
}

/** A PDF hex string's bytes from just after its `<`; undefined when it is not one. */
export function hexString(text: string, from: number): number[] | undefined {
  const close = text.indexOf('>', from);
  if (close < 0) return undefined;
  const hex = text.slice(from, close).replace(/\s+/g, '');
  // An odd last digit is followed by an implied 0.
  return /^[0-9a-f]*$/i.test(hex) ? [...Buffer.from(hex.length % 2 ? `${hex}0` : hex, 'hex')] : undefined;
}
