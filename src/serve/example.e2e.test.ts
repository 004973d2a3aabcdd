/**
 * The Python upload service in examples/python-fastapi, run for real: uvicorn serving it, the
 * check server beside it, real payloads uploaded as a browser would, what is stored looked at.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { elf, jpeg, pdf } from '../test-support/bytes.js';
import { PROJECT_ROOT } from '../test-support/cli.js';
import { testCheckServer } from '../test-support/serve.js';
import type { CheckServer } from './server.js';

const EXAMPLE = join(PROJECT_ROOT, 'examples/python-fastapi');
/** The Python that has the example's packages: its .venv (from PyPI), else Debian's. */
const PYTHON = [join(EXAMPLE, '.venv/bin/python'), '/usr/bin/python3'].find(
  (python) =>
    existsSync(python) && spawnSync(python, ['-c', 'import fastapi, multipart, uvicorn']).status === 0,
);
const hasPackages = PYTHON !== undefined;
if (!hasPackages)
  console.warn(
    'skipped: the Python example service test: FastAPI, python-multipart or uvicorn is missing (examples/python-fastapi/install-deps.sh installs them from PyPI; .ci/install-test-tools.sh runs it)',
  );

/** A port nobody listens on now. */
const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });

describe.skipIf(!hasPackages)(
  'the example FastAPI service, checking every upload with upload-audit serve',
  () => {
    const uploads = mkdtempSync(join(tmpdir(), 'ua-example-'));
    let checker: CheckServer;
    let app: ChildProcess;
    let url = '';

    beforeAll(async () => {
      checker = testCheckServer();
      const checkUrl = await checker.start();
      const port = await freePort();
      app = spawn(PYTHON!, ['-m', 'uvicorn', 'app:app', '--host', '127.0.0.1', '--port', String(port)], {
        cwd: EXAMPLE,
        env: {
          ...process.env,
          UPLOAD_AUDIT_URL: checkUrl,
          UPLOAD_DIR: uploads,
          PYTHONDONTWRITEBYTECODE: '1',
        },
        stdio: 'ignore',
      });
      url = `http://127.0.0.1:${port}`;
      for (let tries = 0; ; tries++) {
        try {
          await fetch(`${url}/docs`);
          break;
        } catch (error) {
          if (tries > 100) throw error;
          await new Promise((wait) => setTimeout(wait, 100));
        }
      }
    }, 30_000);

    afterAll(async () => {
      app?.kill('SIGTERM');
      await checker?.close();
      rmSync(uploads, { recursive: true, force: true });
    });

    const upload = async (name: string, body: Buffer | string, type: string) => {
      const form = new FormData();
      form.append('file', new Blob([body], { type }), name);
      const response = await fetch(`${url}/upload`, { method: 'POST', body: form });
      return {
        status: response.status,
        body: (await response.json()) as { stored?: string; detail?: { refused: string[] } },
      };
    };
    const stored = () =>
      existsSync(join(uploads, 'user-content')) ? readdirSync(join(uploads, 'user-content')) : [];

    it('stores what the policy allows and refuses what the nightly audit would flag', async () => {
      const photo = await upload('holiday.jpg', jpeg('a beach'), 'image/jpeg');
      expect(photo.status).toBe(200);
      const receipt = await upload('receipt.pdf', pdf(), 'application/pdf');
      expect(receipt.status).toBe(200);

      const refused = [
        await upload('avatar.php.jpg', '<?php system($_GET["cmd"]); ?>', 'image/jpeg'),
        await upload(
          'logo.svg',
          '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>',
          'image/svg+xml',
        ),
        await upload('cat.png', elf(), 'image/png'),
        await upload('.htaccess', 'AddType application/x-httpd-php .jpg', 'text/plain'),
        await upload('page.jpg', jpeg(), 'text/html'),
      ];
      for (const r of refused) {
        expect(r.status).toBe(422);
        expect(r.body.detail?.refused.length).toBeGreaterThan(0);
      }
      expect(refused[0]!.body.detail?.refused).toContain('mime-mismatch/executable');
      expect(refused[4]!.body.detail?.refused).toContain('active-content/declared-markup');
      // Only the two allowed files were written, under generated names.
      expect(stored().sort()).toEqual(
        [photo.body.stored, receipt.body.stored].map((s) => s!.split('/')[1]).sort(),
      );
    });
  },
);
