/**
 * A real S3-compatible server for the tests: s3rver (a devDependency) in a child process on
 * 127.0.0.1, on a port the system picks, storing into a temp folder. It speaks the S3 REST API
 * the AWS SDK speaks (ListObjectsV2, ranged GET, HEAD, PUT, COPY, DELETE); its continuation
 * tokens use a cipher OpenSSL 3 keeps in its legacy provider, hence the flag. The bench uses it
 * too, so nothing here imports vitest.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

/** Where s3rver is installed (a devDependency of the project). */
const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

const SERVER = `
import S3rver from 's3rver';
const server = new S3rver({ address: '127.0.0.1', port: 0, directory: process.argv[1], silent: true });
const { port } = await server.run();
console.log(port);
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
`;

/** What s3rver accepts as credentials; the SDK reads them from the environment like any. */
export const S3_ENV = {
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  AWS_REGION: 'us-east-1',
};

export interface TestBucketServer {
  endpoint: string;
  /** The server's process, whose CPU time the bench reads. */
  pid: number;
  client: S3Client;
  /** Make a bucket holding these objects (a string or bytes, or with the Content-Type to store). */
  bucket(
    name: string,
    objects: Record<string, string | Buffer | { body: string | Buffer; type: string }>,
  ): Promise<void>;
  stop(): Promise<void>;
}

export async function startBucketServer(): Promise<TestBucketServer> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const directory = mkdtempSync(join(tmpdir(), 'ua-s3-'));
  const child: ChildProcess = spawn(
    process.execPath,
    ['--openssl-legacy-provider', '--no-warnings', '--input-type=module', '-e', SERVER, directory],
    { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(Number(out.trim()));
    });
    child.once('exit', (code) => reject(new Error(`s3rver exited (${code}) before it listened`)));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: S3_ENV.AWS_REGION,
    credentials: { accessKeyId: S3_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: S3_ENV.AWS_SECRET_ACCESS_KEY },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    endpoint,
    pid: child.pid!,
    client,
    async bucket(name, objects) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
      for (const [key, value] of Object.entries(objects)) {
        const { body, type } =
          typeof value === 'object' && !Buffer.isBuffer(value) ? value : { body: value, type: undefined };
        await client.send(
          new PutObjectCommand({
            Bucket: name,
            Key: key,
            Body: body,
            ...(type !== undefined && { ContentType: type }),
          }),
        );
      }
    },
    async stop() {
      client.destroy();
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await exited;
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/**
 * A proxy in front of the store, for what s3rver does not do (throttling, errors, ACLs and
 * policies, a process killed mid-request): `intercept` answers a request itself and returns true,
 * or returns 'hang' to never answer it, or false to let it through.
 */
export async function s3Proxy(
  endpoint: string,
  intercept: (req: IncomingMessage, res: ServerResponse) => boolean | 'hang',
): Promise<{ endpoint: string; close(): Promise<void> }> {
  const upstream = new URL(endpoint);
  const server = createServer((req, res) => {
    if (intercept(req, res) !== false) return;
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (answered) => {
        res.writeHead(answered.statusCode ?? 502, answered.headers);
        answered.pipe(res);
      },
    );
    req.pipe(forward);
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((closed) => {
        server.closeAllConnections();
        server.close(() => closed());
      }),
  };
}

/** An S3 error answer, as the store would send it. */
export function s3Error(res: ServerResponse, status: number, code: string): true {
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(`<?xml version="1.0"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`);
  return true;
}
