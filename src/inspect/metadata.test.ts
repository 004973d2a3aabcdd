import { describe, expect, it } from 'vitest';
import type { ByteSource } from '../model/types.js';
import { jpeg } from '../test-support/bytes.js';
import { pastHead } from './metadata.js';

/** Bytes in memory as a ByteSource that counts its reads. */
function counted(bytes: Buffer): ByteSource & { reads: number } {
  return {
    reads: 0,
    size: bytes.length,
    async read(position: number, length: number) {
      this.reads++;
      return Buffer.from(bytes.subarray(position, position + length));
    },
    close() {},
  };
}

const segment = (marker: number, data: Buffer): Buffer => {
  const head = Buffer.from([0xff, marker, 0, 0]);
  head.writeUInt16BE(data.length + 2, 2);
  return Buffer.concat([head, data]);
};

/** A JPEG with `metadata` bytes of EXIF, then 100 KB of scan data. */
function photo(metadata: number): Buffer {
  const body = jpeg();
  const sos = body.indexOf(Buffer.from([0xff, 0xda]));
  const scan = sos + 2 + body.readUInt16BE(sos + 2);
  return Buffer.concat([
    body.subarray(0, 20),
    segment(0xe1, Buffer.alloc(metadata, 0x41)),
    body.subarray(20, scan),
    Buffer.alloc(100_000, 0x42),
  ]);
}

describe('what of an image is read past the head', () => {
  const HEAD = 4096;
  const LIMIT = 256 * 1024;

  it('nothing, for a photo whose head holds its metadata and the start of its data', async () => {
    const bytes = photo(600);
    const source = counted(bytes);
    expect(await pastHead(source, 'jpg', bytes.subarray(0, HEAD), LIMIT)).toBeUndefined();
    expect(source.reads).toBe(0);
  });

  it('one read for metadata past the head and the start of the data after it', async () => {
    const bytes = photo(20_000);
    const source = counted(bytes);
    const past = await pastHead(source, 'jpg', bytes.subarray(0, HEAD), LIMIT);
    // The segment walk reads each marker past the head (DQT, SOF, two DHT, SOS: 4 bytes each),
    // then one read holds both.
    expect(source.reads).toBe(6);
    expect(past?.metadata?.length).toBeGreaterThan(15_000);
    expect(past?.imageData?.toString('latin1')).toContain('B'.repeat(4000));
  });

  it('the start of the data alone, when the metadata ends just before the head does', async () => {
    const bytes = photo(3700);
    const past = await pastHead(counted(bytes), 'jpg', bytes.subarray(0, HEAD), LIMIT);
    expect(past?.metadata).toBeUndefined();
    expect(past?.imageData?.length).toBeGreaterThan(4000);
  });
});
