/**
 * The check-server bench (issue 23): `upload-audit serve` beside clamd (Debian's clamav-daemon,
 * the three-signature database of the other benches) on the same machine and payloads, driven
 * by one open-loop load generator: requests sent at a fixed rate whatever the answers do, so a
 * slow server shows as latency, not as a lower rate.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { jpeg } from '../test-support/bytes.js';

export interface ServeBenchTools {
  work: string;
  bin: string;
  tree: string;
  database: string;
}

interface Payload {
  name: string;
  bytes: Buffer;
}

type Send = (payload: Payload) => Promise<void>;

/** Latencies (ms) of `count` requests sent at `rate` per second, open loop; failures counted. */
async function drive(send: Send, payloads: readonly Payload[], rate: number, count: number) {
  const latencies: number[] = [];
  let failed = 0;
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const sent = performance.now();
    pending.push(
      send(payloads[i % payloads.length]!).then(
        () => void latencies.push(performance.now() - sent),
        () => void failed++,
      ),
    );
  }
  await Promise.all(pending);
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  return { p50: at(0.5), p99: at(0.99), failed, achieved: count / seconds };
}

/** The highest rate (doubling from 25/s) at which p99 stays under `p99Ms` and nothing fails. */
async function sustained(send: Send, payloads: readonly Payload[], p99Ms: number): Promise<number> {
  let best = 0;
  for (let rate = 25; rate <= 25_600; rate *= 2) {
    const r = await drive(send, payloads, rate, Math.max(100, rate * 2));
    if (r.failed > 0 || r.p99 > p99Ms || r.achieved < rate * 0.9) break;
    best = rate;
  }
  return best;
}

/** Uploads of 10 KB-2 MB from the realistic tree: images, PDFs and documents. */
function mix(tree: string, count: number): Payload[] {
  const out: Payload[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      if (out.length >= count) return;
      const path = join(dir, name);
      const stats = statSync(path);
      if (stats.isDirectory()) walk(path);
      else if (
        stats.size >= 10_000 &&
        stats.size <= 2_000_000 &&
        /\.(jpe?g|png|gif|pdf|docx|xlsx)$/i.test(name)
      )
        out.push({ name, bytes: readFileSync(path) });
    }
  };
  walk(tree);
  return out;
}

async function started(child: ChildProcess, ready: RegExp, what: string): Promise<string> {
  let text = '';
  return new Promise((resolve, reject) => {
    const look = (chunk: Buffer) => {
      text += chunk;
      const match = ready.exec(text);
      if (match) resolve(match[1] ?? match[0]);
    };
    child.stdout?.on('data', look);
    child.stderr?.on('data', look);
    child.once('exit', (code) => reject(new Error(`${what} exited (${code}) before it was ready:\n${text}`)));
  });
}

/** clamd on a TCP port of 127.0.0.1 with the tiny database; undefined when it is not installed. */
async function startClamd(
  tools: ServeBenchTools,
): Promise<{ port: number; child: ChildProcess } | undefined> {
  if (spawnSync('sh', ['-c', 'command -v clamd']).status !== 0) return undefined;
  const dir = join(tools.work, 'clamd');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'db'), { recursive: true });
  writeFileSync(join(dir, 'db', 'tiny.ndb'), readFileSync(tools.database));
  const port = 33100 + (process.pid % 500);
  writeFileSync(
    join(dir, 'clamd.conf'),
    [
      'Foreground yes',
      `DatabaseDirectory ${join(dir, 'db')}`,
      `TCPSocket ${port}`,
      'TCPAddr 127.0.0.1',
      'MaxThreads 8',
      'StreamMaxLength 64M',
      `LogFile ${join(dir, 'clamd.log')}`,
      'LogVerbose no',
      'User root',
    ].join('\n'),
  );
  const child = spawn('clamd', ['-c', join(dir, 'clamd.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  for (let i = 0; i < 200; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (up) return { port, child };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  return undefined;
}

/** One INSTREAM scan on a fresh connection, as most clamd clients do. */
const clamdSend =
  (port: number): Send =>
  (payload) =>
    new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write('zINSTREAM\0');
        for (let at = 0; at < payload.bytes.length; at += 1 << 16) {
          const chunk = payload.bytes.subarray(at, at + (1 << 16));
          const size = Buffer.alloc(4);
          size.writeUInt32BE(chunk.length);
          socket.write(size);
          socket.write(chunk);
        }
        socket.end(Buffer.alloc(4));
      });
      let answer = '';
      socket.on('data', (d) => (answer += d));
      socket.on('end', () => (answer.includes('stream:') ? resolve() : reject(new Error(answer))));
      socket.on('error', reject);
    });

const oursSend =
  (url: URL, agent: Agent): Send =>
  (payload) =>
    new Promise((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: `/v1/check?filename=${encodeURIComponent(payload.name)}`,
          method: 'POST',
          agent,
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 200 ? resolve() : reject(new Error(String(res.statusCode))),
          );
        },
      );
      req.on('error', reject);
      req.end(payload.bytes);
    });

export interface ServeBenchResult {
  jpegBytes: number;
  ours: { p50: number; p99: number; sustained: number };
  clamd?: { p50: number; p99: number; sustained: number };
  mixCount: number;
}

export async function serveBench(tools: ServeBenchTools): Promise<ServeBenchResult> {
  const photo: Payload = {
    name: 'photo.jpg',
    bytes: Buffer.concat([jpeg('a photo'), Buffer.alloc(1024 * 1024 - jpeg('a photo').length, 0x55)]),
  };
  const payloads = mix(tools.tree, 300);
  if (!existsSync(tools.database))
    throw new Error(`${tools.database} is missing: run the realistic bench once`);

  const server = spawn(
    process.execPath,
    [tools.bin, 'serve', '--listen', '127.0.0.1:0', '-q', '--max-in-flight', '512'],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const url = new URL(await started(server, /listening on (http:\/\/[^,\s]+)/, 'upload-audit serve'));
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const clamd = await startClamd(tools);
  try {
    const ours = oursSend(url, agent);
    await drive(ours, [photo], 100, 200); // warm-up
    const oursPhoto = await drive(ours, [photo], 200, 1000);
    const oursRate = await sustained(ours, payloads, 100);
    let clamdResult: ServeBenchResult['clamd'];
    if (clamd) {
      const theirs = clamdSend(clamd.port);
      await drive(theirs, [photo], 50, 100);
      const clamdPhoto = await drive(theirs, [photo], 200, 1000);
      const clamdRate = await sustained(theirs, payloads, 100);
      clamdResult = { p50: clamdPhoto.p50, p99: clamdPhoto.p99, sustained: clamdRate };
    }
    return {
      jpegBytes: photo.bytes.length,
      ours: { p50: oursPhoto.p50, p99: oursPhoto.p99, sustained: oursRate },
      ...(clamdResult && { clamd: clamdResult }),
      mixCount: payloads.length,
    };
  } finally {
    agent.destroy();
    server.kill('SIGTERM');
    clamd?.child.kill('SIGTERM');
  }
}
