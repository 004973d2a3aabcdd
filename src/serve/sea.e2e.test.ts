import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jpeg } from '../test-support/bytes.js';
import { buildSea } from './sea-build.js';

let server: ChildProcess | undefined;
let base = '';

beforeAll(async () => {
  const executable = await buildSea();
  server = spawn(executable, ['--listen', '127.0.0.1:0'], { cwd: '/' });
  let stderr = '';
  base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the executable did not listen: ${stderr}`)), 20_000);
    server!.stderr!.on('data', (chunk) => {
      stderr += chunk;
      const url = /listening on (http:\/\/\S+?),/.exec(stderr)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve(url);
      }
    });
    server!.on('exit', (code) => reject(new Error(`the executable exited (${code}): ${stderr}`)));
  });
}, 120_000);

afterAll(() => {
  server?.kill('SIGTERM');
});

const check = async (name: string, body: Buffer | string, type?: string) => {
  const response = await fetch(`${base}/v1/check?filename=${encodeURIComponent(name)}`, {
    method: 'POST',
    body,
    ...(type && { headers: { 'content-type': type } }),
  });
  return (await response.json()) as {
    allowed: boolean;
    findings: { ruleId: string }[];
    policy: { digest: string };
  };
};

describe('the single-file executable (Node SEA)', () => {
  it('serves the same verdicts, from a binary that needs no node_modules and no dist/', async () => {
    // Run from / with no project files reachable: the executable carries what it needs.
    const shell = await check('avatar.jpg', '<?php system($_GET[0]);');
    expect(shell.allowed).toBe(false);
    expect(shell.findings.map((f) => f.ruleId)).toContain('mime-mismatch/executable');
    const photo = await check('cat.jpg', jpeg(), 'image/jpeg');
    expect(photo).toMatchObject({ allowed: true, findings: [] });
    expect(photo.policy.digest).toMatch(/^sha256:/);
  });
});
