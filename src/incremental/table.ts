/**
 * The previous run's verdicts, held for lookups from every scan thread: an open-addressing hash
 * table over shared memory, keyed by a 64-bit hash of an entry's name and change key. A million
 * entries are three typed arrays (about 24 MiB), not a million objects, and cross into worker
 * threads without a copy.
 *
 * A lookup hits only when both the name and the change key hash to a stored value: a changed
 * entry misses (and is read again) unless its new key collides with a stored one in 64 bits.
 */

/**
 * An entry's identity in a state: a 64-bit hash (two 32-bit lanes, a cyrb53-style mix) of its
 * name's UTF-16 code units and of each 64-bit word of its change key. The key's numbers are mixed
 * as they are, never turned into text: a rescan hashes every file it lists.
 */
export class EntryHash {
  hi = 0;
  lo = 0;
  readonly #word = new BigUint64Array(1);
  readonly #halves = new Uint32Array(this.#word.buffer);

  /** Hash `name` and then every value of `key` (bigints taken modulo 2^64). */
  of(name: string, key: readonly bigint[]): this {
    let h1 = 0xdeadbeef;
    let h2 = 0x41c6ce57;
    for (let i = 0; i < name.length; i++) {
      const c = name.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
    for (const value of key) {
      this.#word[0] = value;
      for (const c of this.#halves) {
        h1 = Math.imul(h1 ^ c, 2654435761);
        h2 = Math.imul(h2 ^ c, 1597334677);
      }
    }
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    this.hi = h1 >>> 0;
    this.lo = h2 >>> 0;
    return this;
  }

  /** The 16 hex digits a state file stores. */
  get hex(): string {
    return hex8(this.hi) + hex8(this.lo);
  }
}

const HEX = '0123456789abcdef';
function hex8(n: number): string {
  let text = '';
  for (let shift = 28; shift >= 0; shift -= 4) text += HEX[(n >>> shift) & 15];
  return text;
}

/** What a table is as plain data: shared buffers a worker thread rebuilds it from. */
export interface TableData {
  /** Three words a slot: hash high, hash low, verdict (0 empty, 1 clean, n >= 2 findings n - 2). */
  slots: SharedArrayBuffer;
  /** Two numbers per entry with findings: offset and length of its findings JSON in `text`. */
  spans: SharedArrayBuffer;
  /** The findings JSON of every entry that had findings, one after another (UTF-8). */
  text: SharedArrayBuffer;
}

const EMPTY = 0;
const CLEAN = 1;

/** A stored verdict: no findings (`clean`), or the findings as the JSON the state file holds. */
export type StoredVerdict = { clean: true } | { clean: false; findingsJson: string };

export class VerdictTable {
  readonly #slots: Uint32Array;
  readonly #mask: number;
  readonly #spans: Float64Array;
  readonly #text: Uint8Array;

  constructor(readonly data: TableData) {
    this.#slots = new Uint32Array(data.slots);
    this.#mask = this.#slots.length / 3 - 1;
    this.#spans = new Float64Array(data.spans);
    this.#text = new Uint8Array(data.text);
  }

  /** The verdict stored for this hash, if any. */
  get(hi: number, lo: number): StoredVerdict | undefined {
    for (let slot = (lo ^ hi) & this.#mask; ; slot = (slot + 1) & this.#mask) {
      const at = slot * 3;
      const verdict = this.#slots[at + 2]!;
      if (verdict === EMPTY) return undefined;
      if (this.#slots[at] !== hi || this.#slots[at + 1] !== lo) continue;
      if (verdict === CLEAN) return { clean: true };
      const span = (verdict - 2) * 2;
      const start = this.#spans[span]!;
      const json = Buffer.from(this.#text.buffer, start, this.#spans[span + 1]!).toString('utf8');
      return { clean: false, findingsJson: json };
    }
  }
}

/** Builds a table from a state file's lines, for at most `capacity` entries. */
export class TableBuilder {
  readonly #slots: Uint32Array;
  readonly #mask: number;
  readonly #spans: number[] = [];
  /** The findings JSON added so far, one after another; grown by doubling. */
  #text = Buffer.alloc(64 * 1024);
  #textBytes = 0;
  #count = 0;

  constructor(readonly capacity: number) {
    // At most half full, so a probe ends soon at an empty slot.
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.#slots = new Uint32Array(new SharedArrayBuffer(size * 3 * 4));
    this.#mask = size - 1;
  }

  get count(): number {
    return this.#count;
  }

  /**
   * Store one entry; `findingsJson` as UTF-8 bytes (copied: it may be a view of a chunk the
   * caller reads into again), or undefined for a clean entry.
   */
  add(hi: number, lo: number, findingsJson: Uint8Array | undefined): void {
    if (this.#count >= this.capacity) throw new Error('more entries than the table was sized for');
    let verdict = CLEAN;
    if (findingsJson !== undefined) {
      verdict = 2 + this.#spans.length / 2;
      this.#spans.push(this.#textBytes, findingsJson.length);
      if (this.#textBytes + findingsJson.length > this.#text.length) {
        const grown = Buffer.alloc(Math.max(this.#text.length * 2, this.#textBytes + findingsJson.length));
        this.#text.copy(grown, 0, 0, this.#textBytes);
        this.#text = grown;
      }
      this.#text.set(findingsJson, this.#textBytes);
      this.#textBytes += findingsJson.length;
    }
    let slot = (lo ^ hi) & this.#mask;
    while (this.#slots[slot * 3 + 2] !== EMPTY) slot = (slot + 1) & this.#mask;
    this.#slots[slot * 3] = hi;
    this.#slots[slot * 3 + 1] = lo;
    this.#slots[slot * 3 + 2] = verdict;
    this.#count++;
  }

  finish(): TableData {
    const spans = new SharedArrayBuffer(Math.max(8, this.#spans.length * 8));
    new Float64Array(spans).set(this.#spans);
    const text = new SharedArrayBuffer(Math.max(1, this.#textBytes));
    new Uint8Array(text).set(this.#text.subarray(0, this.#textBytes));
    return { slots: this.#slots.buffer as SharedArrayBuffer, spans, text };
  }
}
