/**
 * `log --root s3://BUCKET[/PREFIX]`: the stored files of an upload log kept as objects. A
 * record's stored path, relative to the prefix, names a key; the object is read by range
 * requests (`ObjectBytes`) for its content type, as a bucket scan reads it. An absolute stored
 * path, or one that climbs out with `..`, is outside the root (traversal), as on disk.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { Limits } from '../../inspect/limits.js';
import { analyzeName, climbsOut, decodeRepeatedly, lastComponent } from '../../inspect/names.js';
import type { InspectedFile } from '../../model/types.js';
import { markOutside, recordStored, type StoredFiles } from '../log/stored.js';
import { describe, headObject } from './client.js';
import type { BucketLocation } from './location.js';
import { type FetchTally, ObjectBytes } from './object-bytes.js';

/** The key a stored path names below the prefix; undefined when it is outside. */
function keyOf(location: BucketLocation, storedPath: string): string | undefined {
  const path = storedPath.replace(/^\.\//, '');
  if (path.startsWith('/') || climbsOut(path)) return undefined;
  return location.prefix + path;
}

export function bucketStore(
  client: S3Client,
  location: BucketLocation,
  limits: Limits,
  tally: FetchTally,
): StoredFiles {
  const head = (key: string) => headObject(client, location.bucket, key);
  return {
    async scriptStored(script) {
      const key = keyOf(location, decodeRepeatedly(script).decoded.replace(/^\/+/, ''));
      if (key === undefined) return undefined;
      return (await head(key)) ? 'present' : 'absent';
    },
    async addStoredFacts(file, storedPath) {
      const key = keyOf(location, storedPath);
      if (key === undefined) return markOutside(file, storedPath);
      let found: Awaited<ReturnType<typeof head>>;
      try {
        found = await head(key);
      } catch (error) {
        return `stored object ${storedPath}: ${describe(error).text}`;
      }
      if (!found)
        return file.declared?.accepted === false ? undefined : `stored object ${storedPath} is missing`;
      const size = found.ContentLength ?? 0;
      const name = lastComponent(key);
      const stored: InspectedFile = {
        path: storedPath,
        kind: 'file',
        name,
        size,
        nameInfo: analyzeName(name),
      };
      if (size > 0) {
        const bytes = new ObjectBytes(client, location.bucket, key, size, tally, () => {}, found.ETag);
        try {
          const { inspectBytes } = await import('../../inspect/inspect.js');
          await inspectBytes(bytes, stored, limits);
        } catch (error) {
          return `stored object ${storedPath}: ${describe(error).text}`;
        } finally {
          bytes.close();
        }
      }
      return recordStored(file, stored);
    },
  };
}
