/**
 * The standard security handler of PDF, for the one password anybody has: the empty user
 * password. Most encrypted PDFs are encrypted only to carry an owner password (no copying, no
 * printing): every reader opens them without asking, and so must a scan that wants to read the
 * dictionaries they keep in object streams (where encrypted malicious PDFs keep their actions).
 * A file that asks for a user password stays unreadable. RC4 (40 to 128 bits, revisions 2-4),
 * AES-128 (revision 4) and AES-256 (revisions 5 and 6), as ISO 32000-2 describes them.
 */
import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';

/** The 32 bytes every password is padded with (an empty one is all padding). */
const PAD = Buffer.from('28bf4e5e4e758a416400' + '4e56fffa01082e2e00b6' + 'd0683e802f0ca9fe6453697a', 'hex');

/** RC4, which Node's OpenSSL 3 only has in its legacy provider: a few lines of our own. */
function rc4(key: Uint8Array, data: Uint8Array): Buffer {
  const s = new Uint8Array(256);
  for (let i = 0; i < 256; i++) s[i] = i;
  for (let i = 0, j = 0; i < 256; i++) {
    j = (j + s[i]! + key[i % key.length]!) & 0xff;
    [s[i], s[j]] = [s[j]!, s[i]!];
  }
  const out = Buffer.alloc(data.length);
  for (let n = 0, i = 0, j = 0; n < data.length; n++) {
    i = (i + 1) & 0xff;
    j = (j + s[i]!) & 0xff;
    [s[i], s[j]] = [s[j]!, s[i]!];
    out[n] = data[n]! ^ s[(s[i]! + s[j]!) & 0xff]!;
  }
  return out;
}

const md5 = (...parts: Uint8Array[]): Buffer => {
  const hash = createHash('md5');
  for (const part of parts) hash.update(part);
  return hash.digest();
};

/** What the encryption dictionary and the trailer's /ID say, as bytes and numbers. */
export interface EncryptionParameters {
  v: number;
  r: number;
  /** Key length in bits. */
  length: number;
  p: number;
  o: Buffer;
  u: Buffer;
  ue?: Buffer;
  /** The first string of the trailer's /ID. */
  id: Buffer;
  encryptMetadata: boolean;
  /** How streams are encrypted: RC4 (V2), AES-128 (AESV2), AES-256 (AESV3), or not (Identity). */
  streams: 'rc4' | 'aes' | 'none';
}

/** Decrypts one object's stream data, given its object and generation numbers. */
export type StreamDecryptor = (data: Buffer, object: number, generation: number) => Buffer;

/** Algorithm 2: the file key of revisions 2-4 for the empty password. */
function legacyKey(p: EncryptionParameters): Buffer {
  const n = p.r === 2 ? 5 : p.length / 8;
  const permissions = Buffer.alloc(4);
  permissions.writeInt32LE(p.p | 0);
  const parts = [PAD, p.o.subarray(0, 32), permissions, p.id];
  if (p.r >= 4 && !p.encryptMetadata) parts.push(Buffer.from([0xff, 0xff, 0xff, 0xff]));
  let key = md5(...parts);
  if (p.r >= 3) for (let i = 0; i < 50; i++) key = md5(key.subarray(0, n));
  return key.subarray(0, n);
}

/** Algorithms 4 and 5: whether `key` is the empty user password's, by the /U it would give. */
function legacyKeyFits(p: EncryptionParameters, key: Buffer): boolean {
  if (p.r === 2) return rc4(key, PAD).equals(p.u.subarray(0, 32));
  let x = rc4(key, md5(PAD, p.id));
  for (let i = 1; i <= 19; i++)
    x = rc4(
      key.map((b) => b ^ i),
      x,
    );
  return x.equals(p.u.subarray(0, 16));
}

/** Algorithm 2.B (revision 6): the hash of a password (empty here) with a salt. */
function hash6(salt: Buffer): Buffer {
  let k = createHash('sha256').update(salt).digest();
  for (let round = 0; ; round++) {
    const k1 = Buffer.concat(Array.from({ length: 64 }, () => k));
    const cipher = createCipheriv('aes-128-cbc', k.subarray(0, 16), k.subarray(16, 32));
    cipher.setAutoPadding(false);
    const e = Buffer.concat([cipher.update(k1), cipher.final()]);
    let sum = 0;
    for (let i = 0; i < 16; i++) sum += e[i]!;
    k = createHash(['sha256', 'sha384', 'sha512'][sum % 3]!)
      .update(e)
      .digest();
    if (round >= 63 && e[e.length - 1]! <= round + 1 - 32) return k.subarray(0, 32);
  }
}

/** Revisions 5 and 6: the file key for the empty password, if it is the user password. */
function aes256Key(p: EncryptionParameters): Buffer | undefined {
  if (p.u.length < 48 || p.ue === undefined || p.ue.length < 32) return undefined;
  const validationSalt = p.u.subarray(32, 40);
  const keySalt = p.u.subarray(40, 48);
  const hash = (salt: Buffer) => (p.r === 5 ? createHash('sha256').update(salt).digest() : hash6(salt));
  if (!hash(validationSalt).equals(p.u.subarray(0, 32))) return undefined;
  const decipher = createDecipheriv('aes-256-cbc', hash(keySalt), Buffer.alloc(16));
  decipher.setAutoPadding(false);
  return Buffer.concat([decipher.update(p.ue.subarray(0, 32)), decipher.final()]);
}

/** AES-CBC with the IV in the data's first 16 bytes and PKCS#7 padding, as PDF writes it. */
function aesDecrypt(key: Buffer, data: Buffer): Buffer {
  if (data.length < 32 || data.length % 16 !== 0)
    throw new Error('an AES stream of a length AES cannot have');
  const decipher = createDecipheriv(
    key.length === 32 ? 'aes-256-cbc' : 'aes-128-cbc',
    key,
    data.subarray(0, 16),
  );
  return Buffer.concat([decipher.update(data.subarray(16)), decipher.final()]);
}

/**
 * A decryptor of stream data for the empty user password; undefined when that is not the user
 * password (the file asks for one) or the handler is one this does not know.
 */
export function emptyPasswordDecryptor(p: EncryptionParameters): StreamDecryptor | undefined {
  if (p.streams === 'none') return (data) => data;
  if (p.r >= 5) {
    const key = aes256Key(p);
    return key && ((data) => aesDecrypt(key, data));
  }
  if (p.r < 2 || p.r > 4) return undefined;
  const key = legacyKey(p);
  if (!legacyKeyFits(p, key)) return undefined;
  return (data, object, generation) => {
    const id = Buffer.from([object, object >> 8, object >> 16, generation, generation >> 8]);
    const salt = p.streams === 'aes' ? [Buffer.from('sAlT')] : [];
    const objectKey = md5(key, id, ...salt).subarray(0, Math.min(key.length + 5, 16));
    return p.streams === 'aes' ? aesDecrypt(objectKey, data) : rc4(objectKey, data);
  };
}
