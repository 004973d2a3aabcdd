import { linkSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../model/types.js';
import { cfb as compoundFile, elf, gif, jpeg, pdf, png, zip } from '../../test-support/bytes.js';
import {
  dir,
  fifo,
  file,
  inventory,
  symlink,
  type Tree,
  tempTrees,
  writeRawName,
} from '../../test-support/tree.js';
import { runScan, type ScanOptions } from './run.js';

const tree = tempTrees();

const scan = (root: string, over: Partial<ScanOptions> = {}): Promise<Report> =>
  runScan({ root, failOn: 'high', allowUnevaluated: false, concurrency: 1, ...over });

/** `path ruleId` pairs, the easiest thing to compare. */
const hits = (report: Report): string[] => report.findings.map((f) => `${f.path} ${f.ruleId}`).sort();

describe('runScan on a realistic upload tree', () => {
  it('reports clean files as clean and problems as findings', async () => {
    const root = tree({
      '2024': {
        '03': {
          'IMG_1.jpg': jpeg(),
          'banner.png': png(),
          'party.gif': gif(),
          'receipt.pdf': pdf(),
          'notes.txt': 'hello\n',
        },
      },
      users: {
        alice: { 'avatar.png': elf(), 'shell.php.jpg': '<?php echo 1; ?>', '.htaccess': 'AddType x .jpg' },
      },
    });
    const report = await scan(root);
    expect(hits(report)).toEqual([
      'users/alice/.htaccess dangerous-extension/server-config',
      'users/alice/.htaccess unsafe-filename/hidden',
      'users/alice/avatar.png mime-mismatch/executable',
      'users/alice/shell.php.jpg dangerous-extension/double-extension',
      'users/alice/shell.php.jpg mime-mismatch/executable',
    ]);
    expect(report.summary).toMatchObject({
      files: 8,
      directories: 4,
      evaluated: 12,
      notEvaluated: 0,
      failed: true,
    });
    expect(
      report.findings.every((f) => /^[0-9a-f]{32}$/.test(f.fingerprint) && /^[0-9a-f]{64}$/.test(f.sha256!)),
    ).toBe(true);
  });

  it('passes a clean tree', async () => {
    const report = await scan(tree({ 'a.jpg': jpeg(), sub: { 'b.png': png() } }));
    expect(report.findings).toEqual([]);
    expect(report.summary.failed).toBe(false);
  });
});

describe('symlinks are classified, never followed', () => {
  it('flags links that leave the root, through chains and dangling, and not those that stay', async () => {
    const root = tree({
      'inside.jpg': jpeg(),
      'abs-out': symlink('/etc/passwd'),
      'rel-out': symlink('../../../../../../etc/hostname'),
      'dangling-out': symlink('/nonexistent/secret'),
      'stays-in': symlink('inside.jpg'),
      'dir-in': symlink('sub'),
      'chain-1': symlink('chain-2'),
      'chain-2': symlink('/etc'),
      'loop-a': symlink('loop-b'),
      'loop-b': symlink('loop-a'),
      sub: { 'up-and-in': symlink('../inside.jpg'), 'via-dir-link': symlink('../dir-out/passwd') },
      'dir-out': symlink('/etc'),
    });
    const report = await scan(root);
    const escapes = report.findings
      .filter((f) => f.ruleId === 'path-traversal/symlink-escape')
      .map((f) => f.path);
    expect(escapes.sort()).toEqual([
      'abs-out',
      'chain-1',
      'chain-2',
      'dangling-out',
      'dir-out',
      'rel-out',
      'sub/via-dir-link',
    ]);
    const chain = report.findings.find((f) => f.path === 'chain-1')!;
    expect(chain.evidence).toMatchObject({ target: 'chain-2', resolved: '/etc' });
    expect(report.summary.symlinks).toBe(12);
    // A symlink to a directory is not entered: only the real sub/ is.
    expect(report.summary.directories).toBe(1);
  });
});

describe('hostile names', () => {
  it('keeps raw bytes for names that are not UTF-8 and still evaluates them', async () => {
    const root = tree({ sub: {} });
    writeRawName(root, Buffer.from([0x62, 0x61, 0x64, 0xff, 0x2e, 0x70, 0x68, 0x70]), '<?php');
    writeRawName(`${root}/sub`, Buffer.from('ok\x1b[31m\u202Egpj.exe'), 'x');
    const report = await scan(root);
    const invalid = report.findings.find((f) => f.path === 'bad\\xff.php')!;
    expect(invalid.ruleId).toBe('dangerous-extension/server-script');
    expect(Buffer.from(invalid.pathBase64!, 'base64')).toEqual(
      Buffer.from([0x62, 0x61, 0x64, 0xff, 0x2e, 0x70, 0x68, 0x70]),
    );
    const bidi = report.findings.find((f) => f.path.startsWith('sub/'))!;
    expect(bidi).toMatchObject({
      path: 'sub/ok\x1b[31m\u202Egpj.exe',
      ruleId: 'dangerous-extension/executable',
    });
    expect(bidi.pathBase64).toBeUndefined();
  });

  it('reads files below a folder whose name is not UTF-8', async () => {
    const root = tree({});
    mkdirSync(Buffer.concat([Buffer.from(`${root}/`), Buffer.from([0x64, 0xfe])]));
    writeRawName(root, Buffer.from('d\xfe/cat.png', 'latin1'), elf());
    const report = await scan(root);
    const cat = report.findings.find((f) => f.ruleId === 'mime-mismatch/executable')!;
    expect(cat.path).toBe('d\\xfe/cat.png');
    expect(Buffer.from(cat.pathBase64!, 'base64').toString('latin1')).toBe('d\xfe/cat.png');
  });
});

describe('entries that cannot be evaluated are never clean', () => {
  it('counts a FIFO without opening it, and fails unless allowed', async () => {
    const root = tree({ 'pipe.jpg': fifo(), 'ok.png': png() });
    const report = await scan(root);
    expect(report.notEvaluated).toEqual([
      { path: 'pipe.jpg', reason: 'special-file', detail: 'fifo: never opened' },
    ]);
    expect(report.summary).toMatchObject({
      notEvaluated: 1,
      notEvaluatedByReason: { 'special-file': 1 },
      failed: true,
    });
    // The FIFO is also a permissions/special-file finding (high); isolate the not-evaluated cause.
    expect((await scan(root, { failOn: 'critical' })).summary.failed).toBe(true);
    expect((await scan(root, { failOn: 'critical', allowUnevaluated: true })).summary.failed).toBe(false);
  });
});

describe('include and exclude', () => {
  const spec: Tree = {
    cache: { 'x.php': '<?php' },
    'a.php': '<?php',
    keep: { 'b.php': '<?php', 'c.txt': 'x' },
  };

  it('skips excluded entries and does not enter excluded folders', async () => {
    const report = await scan(tree(spec), { exclude: ['cache/**', 'cache'] });
    expect(hits(report)).toEqual([
      'a.php dangerous-extension/server-script',
      'keep/b.php dangerous-extension/server-script',
    ]);
    expect(report.summary.excluded).toBe(1);
  });

  it('evaluates only included files, still walking every folder', async () => {
    const report = await scan(tree(spec), { include: ['keep/**'] });
    expect(hits(report)).toEqual(['keep/b.php dangerous-extension/server-script']);
    expect(report.summary.excluded).toBe(2);
  });

  it('reads a pattern without a slash as .gitignore does: a name at any depth', async () => {
    const root = tree({
      '.htaccess': 'x',
      users: { bob: { '.htaccess': 'AddType x .jpg', 'shell.php': '<?php', 'me.png': elf() } },
      tmp: { 'a.php': '<?php' },
      keep: { tmp: { 'b.php': '<?php' } },
    });
    const excluded = await scan(root, { exclude: ['.htaccess', '/tmp'] });
    expect(hits(excluded)).toEqual([
      'keep/tmp/b.php dangerous-extension/server-script',
      'users/bob/me.png mime-mismatch/executable',
      'users/bob/shell.php dangerous-extension/server-script',
    ]);
    const pngs = await scan(root, { include: ['*.png'] });
    expect(hits(pngs)).toEqual(['users/bob/me.png mime-mismatch/executable']);
  });
});

describe('encrypted content', () => {
  it('is not evaluated, never clean: encrypted zip entries, PDFs and Office files', async () => {
    const fib = (encrypted: boolean): Buffer => {
      const b = Buffer.alloc(4096);
      b.writeUInt16LE(0xa5ec, 0);
      b.writeUInt16LE(encrypted ? 0x0100 : 0, 0x0a);
      return b;
    };
    const workbookWithFilePass = (): Buffer => {
      const record = (type: number, data: Buffer) => {
        const head = Buffer.alloc(4);
        head.writeUInt16LE(type, 0);
        head.writeUInt16LE(data.length, 2);
        return Buffer.concat([head, data]);
      };
      const globals = Buffer.concat([record(0x0809, Buffer.alloc(16)), record(0x002f, Buffer.alloc(54))]);
      return Buffer.concat([globals, Buffer.alloc(4096 - globals.length)]);
    };
    const encryptedPdf = (objectStreams: boolean) =>
      Buffer.concat([
        pdf(),
        Buffer.from(
          `${objectStreams ? '6 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length 3 >>\nstream\n\x9c\x01\xff\nendstream\nendobj\n' : ''}trailer\n<< /Size 4 /Root 1 0 R /Encrypt 5 0 R >>\n%%EOF\n`,
          'latin1',
        ),
      ]);
    const cfb = Buffer.alloc(4096);
    Buffer.from('d0cf11e0a1b11ae1', 'hex').copy(cfb);
    const root = tree({
      'locked.zip': zip({ 'notes.txt': 'hello', 'secret.php': { data: 'xxxx', encrypted: true } }),
      'open.zip': zip({ 'notes.txt': 'hello' }),
      'locked.pdf': encryptedPdf(true),
      // Encrypted, but every dictionary outside object streams: read as any PDF is.
      'owner-only.pdf': encryptedPdf(false),
      // Benign look-alikes: an encryption *name* in text, metadata left in clear.
      'open.pdf': pdf('/Contents (see /Encryption policy) /EncryptMetadata false'),
      'report.docx': cfb,
      'legacy.doc': cfb,
      // Word's File Information Block (0xA5EC) with fEncrypted set; one without; an Excel
      // workbook whose globals hold a FilePass record.
      'locked.doc': compoundFile([{ name: 'WordDocument', type: 'stream', data: fib(true) }]),
      'open.doc': compoundFile([{ name: 'WordDocument', type: 'stream', data: fib(false) }]),
      'locked.xls': compoundFile([{ name: 'Workbook', type: 'stream', data: workbookWithFilePass() }]),
    });
    const report = await scan(root);
    expect(report.notEvaluated.map((n) => `${n.path} ${n.reason} ${n.detail}`)).toEqual([
      'locked.doc encrypted a password-protected Word 97-2003 document',
      'locked.pdf encrypted an encrypted PDF: the dictionaries in its object streams cannot be read',
      'locked.xls encrypted a password-protected Excel 97-2003 workbook',
      'locked.zip encrypted 1 encrypted archive entry: secret.php',
      'report.docx encrypted a password-protected Office file (an encrypted package)',
    ]);
    expect(report.summary).toMatchObject({ files: 10, evaluated: 5, notEvaluated: 5, failed: true });
    // With --allow-unevaluated the gaps are accepted, as for any entry not evaluated.
    const accepted = await scan(root, { allowUnevaluated: true, failOn: 'critical' });
    expect(accepted.summary.failed).toBe(false);
  });
});

describe('permissions and names on a real tree', () => {
  it('reports modes, hard links and special files from what lstat and fstat say', async () => {
    const root = tree({
      'ok.jpg': jpeg(),
      'run.jpg': file(jpeg(), 0o755),
      'open.jpg': file(jpeg(), 0o666),
      'suid.jpg': file(jpeg(), 0o4755),
      shared: dir({ 'a.png': png() }, 0o777),
      pipe: fifo(),
    });
    linkSync(join(root, 'ok.jpg'), join(root, 'ok-link.jpg'));
    const report = await scan(root);
    expect(hits(report).filter((h) => h.includes('permissions/'))).toEqual([
      'ok-link.jpg permissions/hard-link',
      'ok.jpg permissions/hard-link',
      'open.jpg permissions/world-writable',
      'pipe permissions/special-file',
      'run.jpg permissions/executable',
      'shared permissions/world-writable',
      'suid.jpg permissions/executable',
      'suid.jpg permissions/setuid',
    ]);
  });
});

describe('audit mode is read-only', () => {
  it('leaves every byte, mode, timestamp and link target as it was', async () => {
    const root = tree({
      'a.jpg': jpeg(),
      'evil.png': elf(),
      'x.php': '<?php',
      link: symlink('/etc/passwd'),
      pipe: fifo(),
      sub: { deeper: { 'c.pdf': pdf() } },
    });
    writeRawName(root, Buffer.from([0x6e, 0xff, 0x0a]), 'raw');
    const before = inventory(root);
    await scan(root);
    await scan(root, { include: ['**/*.php'] });
    expect(inventory(root)).toEqual(before);
  });
});

describe('coverage: files and bytes evaluated against present', () => {
  it('counts an encrypted archive as present, not evaluated', async () => {
    const locked = zip({ 'secret.txt': { data: 'x', encrypted: true } });
    const root = tree({ 'a.jpg': jpeg(), 'b.zip': locked, d: { 'c.png': png() } });
    const s = (await scan(root, { allowUnevaluated: true })).summary;
    expect([s.files, s.filesEvaluated]).toEqual([3, 2]);
    expect(s.bytes - s.bytesEvaluated).toBe(locked.length);
    expect(s.notEvaluatedByReason).toEqual({ encrypted: 1 });
  });

  it('counts files a rescan took from its state as evaluated', async () => {
    const root = tree({ 'a.jpg': jpeg(), 'b.txt': 'hello\n' });
    const state = {
      file: join(root, '..', `${root.split('/').at(-1)}.state`),
      ignoreCtime: false,
      racyMarginMs: 0,
    };
    // Files changed in the millisecond a run starts are read again: start the runs later.
    await new Promise((wait) => setTimeout(wait, 20));
    const first = (await scan(root, { state })).summary;
    await new Promise((wait) => setTimeout(wait, 20));
    const again = await scan(root, { state });
    expect(again.incremental?.reused).toBe(2);
    expect([again.summary.filesEvaluated, again.summary.bytesEvaluated]).toEqual([
      first.filesEvaluated,
      first.bytesEvaluated,
    ]);
    expect(again.summary.filesEvaluated).toBe(2);
  });
});

describe('names on disk in overlong UTF-8', () => {
  it('are read the way a lenient decoder reads them; Latin-1 names are only not UTF-8', async () => {
    const root = tree({});
    writeRawName(
      root,
      Buffer.concat([Buffer.from('shell'), Buffer.from([0xc0, 0xae]), Buffer.from('php')]),
      '<?php',
    );
    writeRawName(root, Buffer.from([0xc0, 0xae, 0xc0, 0xae, 0xc0, 0xaf, 0x78]), 'x');
    writeRawName(root, Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2e, 0x74, 0x78, 0x74]), 'hello\n');
    expect(hits(await scan(root))).toEqual([
      '\\xc0\\xae\\xc0\\xae\\xc0\\xafx path-traversal/dot-dot',
      '\\xc0\\xae\\xc0\\xae\\xc0\\xafx unsafe-filename/invalid-utf8',
      'caf\\xe9.txt unsafe-filename/invalid-utf8',
      'shell\\xc0\\xaephp dangerous-extension/name-trick',
      'shell\\xc0\\xaephp mime-mismatch/executable',
      'shell\\xc0\\xaephp unsafe-filename/invalid-utf8',
    ]);
  });
});
