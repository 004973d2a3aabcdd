/**
 * The bucket bench (issue 21): the realistic tree's first files uploaded into a local
 * S3-compatible server (s3rver, as in the tests), then `scan s3://...` beside a bare listing,
 * an unchanged rescan with --state, and the naive way (download every object, then scan the
 * folder), all in one run.
 */
import { spawnSync } from 'node:child_process';
import {
  createReadStream,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { extname, join, relative } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { S3_ENV, startBucketServer } from '../test-support/s3.js';

/** Content-Types as an upload handler would store them, by extension. */
const TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.pdf': 'application/pdf',
  '.zip': 'application/zip',
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  '.mp4': 'video/mp4',
  '.txt': 'text/plain',
  '.svg': 'image/svg+xml',
};

/** Every regular file below `root`, sorted, as paths relative to it. */
function filesOf(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) out.push(relative(root, path));
    }
  };
  walk(root);
  return out;
}

/**
 * A script the bench runs as a child: list every page (`node script ENDPOINT BUCKET`), then
 * download every object into a folder (`… DIR`), or read only what the floor reads (`… --floor`).
 *
 * The floor of any audit that reads a bucket by ranges, on this store: per object only the reads
 * every object needs under the default bounds (the whole object when it is at most 8 KiB, else
 * its first and last 4 KiB), as bare HTTP requests, 32 in flight, nothing audited. No SDK and no
 * signing: s3rver serves anonymous reads, and a signature only adds the client's own cost. PDFs
 * and zips need more reads than these, so an audit can only be slower.
 */
const CLIENT_SCRIPT = `
import { S3Client, ListObjectsV2Command, GetObjectCommand } from '@aws-sdk/client-s3';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { dirname, join } from 'node:path';
const [endpoint, bucket, into] = process.argv.slice(2);
const s3 = new S3Client({ endpoint, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
let token, objects = [];
do {
  const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
  for (const o of page.Contents ?? []) objects.push([o.Key, o.Size]);
  token = page.IsTruncated ? page.NextContinuationToken : undefined;
} while (token);
const agent = new Agent({ keepAlive: true, maxSockets: 32 });
const get = (key, first, last) => new Promise((done, fail) => {
  const path = '/' + bucket + '/' + key.split('/').map(encodeURIComponent).join('/');
  request(endpoint + path, { agent, headers: { range: 'bytes=' + first + '-' + last } }, (res) => {
    if (res.statusCode !== 206 && res.statusCode !== 200) fail(new Error(key + ': HTTP ' + res.statusCode));
    res.on('data', () => {}).on('end', done).on('error', fail);
  }).on('error', fail).end();
});
const download = async ([key]) => {
  const body = await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body.transformToByteArray();
  const path = join(into, key); mkdirSync(dirname(path), { recursive: true }); writeFileSync(path, body);
};
const floor = async ([key, size]) => {
  if (size === 0) return;
  await get(key, 0, Math.min(size, 8192) - 1);
  if (size > 8192) await get(key, size - 4096, size - 1);
};
const each = into === '--floor' ? floor : into ? download : undefined;
if (each) {
  let next = 0;
  const lane = async () => { for (let i = next++; i < objects.length; i = next++) await each(objects[i]); };
  await Promise.all(Array.from({ length: 32 }, lane));
}
agent.destroy();
console.log(objects.length);
`;

/** CPU seconds a process has used so far (user and system), from /proc. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces): state is 3rd, utime 14th, stime 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

export interface BucketBenchTools {
  work: string;
  bin: string;
  project: string;
  timed(command: string): { seconds: number; rssKiB: number };
}

export interface BucketBenchResult {
  objects: number;
  storedBytes: number;
  fetchedBytes: number;
  scanSeconds: number;
  listSeconds: number;
  rescanSeconds: number;
  naiveSeconds: number;
  /** The range-read floor (CLIENT_SCRIPT --floor). */
  floorSeconds: number;
  /** CPU seconds the store spent answering each (medians): it shares the machine's cores. */
  storeCpu: { scan: number; floor: number; naive: number };
  rssMiB: number;
}

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function bucketBench(
  tree: string,
  files: number,
  runs: number,
  tools: BucketBenchTools,
): Promise<BucketBenchResult> {
  Object.assign(process.env, S3_ENV, { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });
  const server = await startBucketServer();
  try {
    const keys = filesOf(tree).slice(0, files);
    console.log(
      `uploading ${keys.length.toLocaleString('en-US')} objects of ${tree} into a local S3 server…`,
    );
    await server.bucket('bench', {});
    let next = 0;
    const upload = async (): Promise<void> => {
      for (let i = next++; i < keys.length; i = next++) {
        const path = join(tree, keys[i]!);
        await server.client.send(
          new PutObjectCommand({
            Bucket: 'bench',
            Key: keys[i],
            Body: createReadStream(path),
            ContentLength: statSync(path).size,
            ContentType: TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream',
          }),
        );
      }
    };
    await Promise.all(Array.from({ length: 16 }, upload));
    const storedBytes = keys.reduce((sum, key) => sum + statSync(join(tree, key)).size, 0);

    const script = join(tools.project, '.bench-s3-client.mjs');
    writeFileSync(script, CLIENT_SCRIPT);
    const out = join(tools.work, 'bucket.json');
    const state = join(tools.work, 'bucket-state');
    const download = join(tools.work, 'bucket-download');
    const ours = (extra: string) =>
      `node ${tools.bin} scan s3://bench --endpoint-url ${server.endpoint} --path-style --format json -o ${out} -q --fail-on none --allow-unevaluated ${extra}`;
    try {
      // One run that says what it fetched (the timed runs are quiet).
      const told = spawnSync('bash', ['-c', ours('').replace(' -q ', ' ')], { encoding: 'utf8' }).stderr;
      const fetched = /fetched (\d+) bytes/.exec(told);
      rmSync(state, { force: true });
      tools.timed(ours(`--state ${state}`));
      /** `runs` timed runs, each with the CPU time the store spent during it. */
      const time = (command: string, before?: () => void) =>
        Array.from({ length: runs }, () => {
          before?.();
          const storeBefore = cpuSeconds(server.pid);
          const sample = tools.timed(command);
          return { ...sample, storeCpu: cpuSeconds(server.pid) - storeBefore };
        });
      const scans = time(ours(''));
      const lists = time(`node ${script} ${server.endpoint} bench`);
      const floors = time(`node ${script} ${server.endpoint} bench --floor`);
      const rescans = time(ours(`--state ${state}`));
      const naive = time(
        `node ${script} ${server.endpoint} bench ${download} && node ${tools.bin} scan ${download} -f json -o ${out} -q --fail-on none --allow-unevaluated`,
        () => {
          rmSync(download, { recursive: true, force: true });
          mkdirSync(download);
        },
      );
      return {
        objects: keys.length,
        storedBytes,
        fetchedBytes: Number(fetched?.[1] ?? Number.NaN),
        scanSeconds: median(scans.map((s) => s.seconds)),
        listSeconds: median(lists.map((s) => s.seconds)),
        rescanSeconds: median(rescans.map((s) => s.seconds)),
        naiveSeconds: median(naive.map((s) => s.seconds)),
        floorSeconds: median(floors.map((s) => s.seconds)),
        storeCpu: {
          scan: median(scans.map((s) => s.storeCpu)),
          floor: median(floors.map((s) => s.storeCpu)),
          naive: median(naive.map((s) => s.storeCpu)),
        },
        rssMiB: median(scans.map((s) => s.rssKiB)) / 1024,
      };
    } finally {
      rmSync(script, { force: true });
      rmSync(download, { recursive: true, force: true });
    }
  } finally {
    await server.stop();
  }
}
