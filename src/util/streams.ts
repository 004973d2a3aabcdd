/** Small helpers for byte streams read as async iterables. */

/**
 * Look at the first chunk of a stream without losing it: `all` yields that chunk and then the
 * rest. Undefined for an empty stream.
 */
export async function peek(
  source: AsyncIterable<Buffer>,
): Promise<{ first: Buffer; all: AsyncGenerator<Buffer> } | undefined> {
  const iterator = source[Symbol.asyncIterator]();
  const next = await iterator.next();
  if (next.done) return undefined;
  const first = next.value;
  const all = (async function* () {
    yield first;
    for (let more = await iterator.next(); !more.done; more = await iterator.next()) yield more.value;
  })();
  return { first, all };
}
