import { describe, expect, it } from 'vitest';
import fc from '../test-support/fast-check.js';
import {
  analyzeName,
  climbsOut,
  decodeRepeatedly,
  extensionsOf,
  isPlainName,
  lastComponent,
  lenientUtf8,
  traversalForms,
} from './names.js';

describe('isPlainName', () => {
  it.each(['photo.jpg', 'IMG_0001.JPG', 'a', '_x', '0', 'CON.txt', 'shell.php.', 'a..b', 'x'.repeat(255)])(
    '%s is plain',
    (name) => expect(isPlainName(name)).toBe(true),
  );

  it.each([
    '',
    '.htaccess',
    '-rf',
    'a b.jpg',
    'a.jpg ',
    'a%2f.jpg',
    'a/b.jpg',
    'a\\b.jpg',
    'C:x.jpg',
    'a;.jpg',
    'a\nb',
    'a\0b',
    'caf\u00e9.jpg',
    'a\u202egpj.exe',
    'a\ufffd.jpg',
    'x'.repeat(256),
  ])('%j is not plain', (name) => expect(isPlainName(name)).toBe(false));
});

describe('analyzeName', () => {
  it.each([
    ['photo.jpg', ['jpg'], 'jpg', 'jpg', []],
    ['avatar.PhP.JPG', ['php', 'jpg'], 'jpg', 'jpg', []],
    ['x.php.', ['php', ''], undefined, 'php', ['trailing-dot-space']],
    ['x.php . .', ['php ', ' ', ''], undefined, 'php', ['trailing-dot-space']],
    ['x.php::$DATA', ['php::$data'], 'php::$data', 'php', ['ntfs-stream']],
    ['x.asp;.jpg', ['asp;', 'jpg'], 'jpg', 'asp', ['semicolon']],
    ['x.php%00.jpg', ['php%00', 'jpg'], 'jpg', 'php', ['encoded', 'nul-byte']],
    ['x.php%2500.jpg', ['php%2500', 'jpg'], 'jpg', 'php', ['encoded', 'nul-byte']],
    ['.htaccess', [], undefined, undefined, []],
    ['archive.tar.gz', ['tar', 'gz'], 'gz', 'gz', []],
    ['no-extension', [], undefined, undefined, []],
    ['résumé 履歴書.pdf', ['pdf'], 'pdf', 'pdf', []],
  ])('%s', (name, extensions, extension, effectiveExtension, tricks) => {
    const info = analyzeName(name);
    expect(info.extensions).toEqual(extensions);
    expect(info.extension).toBe(extension);
    expect(info.effectiveExtension).toBe(effectiveExtension);
    expect(info.tricks).toEqual(tricks);
  });
});

describe('decodeRepeatedly', () => {
  it.each([
    ['plain.txt', 'plain.txt'],
    ['%2e%2e%2f', '../'],
    ['%252e%252e%252f', '../'],
    ['%25252e%25252e%25252f', '../'],
    ['%c0%ae%c0%ae%c0%af', '../'],
    ['%e0%80%ae%e0%80%ae/', '../'],
    ['%c1%9c', '\\'],
    ['%u002e%u002e%u2215', '..∕'],
    ['100%', '100%'],
    ['%zz%4', '%zz%4'],
  ])('%s → %s', (input, decoded) => {
    expect(decodeRepeatedly(input).decoded).toBe(decoded);
  });

  it('turns + into a space only when asked (query strings)', () => {
    expect(decodeRepeatedly('a+b').decoded).toBe('a+b');
    expect(decodeRepeatedly('a+b', { plusAsSpace: true }).decoded).toBe('a b');
  });

  it('stops after a bounded number of rounds', () => {
    let deep = '%2e';
    for (let i = 0; i < 10; i++) deep = deep.replaceAll('%', '%25');
    expect(decodeRepeatedly(deep).decoded).not.toBe('.');
  });
});

describe('lenientUtf8', () => {
  it('decodes valid UTF-8 and replaces invalid bytes', () => {
    expect(lenientUtf8(Buffer.from('héllo'))).toBe('héllo');
    expect(lenientUtf8(Uint8Array.from([0x61, 0xff, 0x62]))).toBe('a\uFFFDb');
    expect(lenientUtf8(Uint8Array.from([0xe2, 0x82]))).toBe('\uFFFD\uFFFD');
    expect(lenientUtf8(Uint8Array.from([0xed, 0xa0, 0x80]))).toBe('\uFFFD');
  });
});

describe('traversalForms', () => {
  it.each([
    ['..%2f..%2fetc%2fpasswd', ['dot-dot']],
    ['..\\..\\windows\\win.ini', ['dot-dot']],
    ['%252e%252e%252fsecret', ['dot-dot']],
    ['%c0%ae%c0%ae%c0%afboot.ini', ['dot-dot']],
    ['%2fetc%2fpasswd', ['absolute']],
    ['C:\\Windows\\win.ini', ['drive', 'backslash']],
    ['c:evil.txt', ['drive']],
    ['\\\\attacker\\share\\x', ['unc']],
    ['a\\b.txt', ['backslash']],
  ])('%s', (name, forms) => {
    expect(traversalForms(name).forms).toEqual(forms);
  });

  it.each(['photo..jpg', 'v1.2..3.txt', '...', 'report.final.pdf', 'a%20b.jpg', '50%.png', 'ok'])(
    'leaves the benign %s alone',
    (name) => {
      expect(traversalForms(name).forms).toEqual([]);
    },
  );
});

describe('the fast name helpers', () => {
  const name = fc
    .array(fc.constantFrom('.', '/', '\\', 'a', 'PHP', 'jpg', ' ', '..', 'é'), { maxLength: 12 })
    .map((parts) => parts.join(''));

  it('extensionsOf equals the split definition', () => {
    const reference = (n: string): string[] =>
      n
        .replace(/^\.+/, '')
        .split('.')
        .slice(1)
        .map((p) => p.toLowerCase());
    fc.assert(
      fc.property(name, (n) => {
        expect(extensionsOf(n)).toEqual(reference(n));
      }),
      { numRuns: 3000 },
    );
  });

  it('lastComponent equals the split definition', () => {
    const reference = (n: string): string => n.split(/[\\/]/).at(-1) ?? '';
    fc.assert(
      fc.property(name, (n) => {
        expect(lastComponent(n)).toBe(reference(n));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('traversal in look-alike and nested forms', () => {
  it.each([
    ['．．／．．／etc／passwd', ['dot-dot']],
    ['..∕..∕etc∕passwd', ['dot-dot']],
    ['..＼..＼windows＼win.ini', ['dot-dot']],
    ['....//....//etc/passwd', ['dot-dot']],
    ['....\\\\....\\\\x.asp', ['dot-dot']],
    // Tomcat and Jetty drop a segment's path parameters: `..;` and `..;x=1` are `..`.
    ['..;/WEB-INF/web.xml', ['dot-dot']],
    ['a/..;jsessionid=1/..;/etc/passwd', ['dot-dot']],
  ])('%s climbs out', (name, forms) => {
    expect(traversalForms(name).forms).toEqual(forms);
  });

  it.each([
    'wait....jpg',
    'a..b.jpg',
    'report...final.pdf',
    '.../notes.txt',
    'ｆｕｌｌｗｉｄｔｈ.jpg',
    '½ price.png',
    'notes..;draft.txt',
    'a;..;b.txt',
  ])('%s does not', (name) => {
    expect(traversalForms(name).forms).toEqual([]);
  });
});

describe('climbsOut', () => {
  it.each([
    ['2024/03/14/0.jpg', false],
    ['a..b/c.jpg', false],
    ['avatars/../../../var/www/x.jpg', true],
    ['avatars/%2e%2e/%2e%2e/x', true],
    ['a/．．／．．／x', true],
    ['....//....//etc/passwd', true],
  ])('%s -> %s, as traversalForms says', (path, expected) => {
    expect(climbsOut(path)).toBe(expected);
    expect(climbsOut(path)).toBe(traversalForms(path).forms.includes('dot-dot'));
  });
});

describe('raw overlong UTF-8 in a name on disk', () => {
  const raw = (...parts: (string | number[])[]): Buffer =>
    Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
  const strict = (bytes: Buffer): string => bytes.toString('utf8');

  it.each([
    ['C0 AE for a dot', raw('shell', [0xc0, 0xae], 'php'), 'php'],
    ['E0 80 AE for a dot', raw('photo', [0xe0, 0x80, 0xae], 'jsp'), 'jsp'],
    ['F0 80 80 AE for a dot', raw('x', [0xf0, 0x80, 0x80, 0xae], 'asp'), 'asp'],
  ])('reads %s the way a lenient decoder does', (_label, bytes, extension) => {
    const info = analyzeName(strict(bytes), bytes);
    expect(info.tricks).toContain('overlong-utf8');
    expect(info.effectiveExtension).toBe(extension);
  });

  it('turns C0 AE C0 AE C0 AF into ../', () => {
    const bytes = raw([0xc0, 0xae, 0xc0, 0xae, 0xc0, 0xaf], 'etc');
    expect(analyzeName(strict(bytes), bytes).overlong).toBe('../etc');
  });

  it.each([
    ['Latin-1', raw('caf', [0xe9], '.jpg')],
    ['Shift-JIS', raw([0x83, 0x65, 0x83, 0x58, 0x83, 0x67, 0xe0, 0x9f, 0x82, 0xa0], '.txt')],
    ['a lone C0', raw('a', [0xc0], '.png')],
  ])('leaves a name that is merely not UTF-8 alone: %s', (_label, bytes) => {
    const info = analyzeName(strict(bytes), bytes);
    expect(info.tricks).toEqual([]);
    expect(info.overlong).toBeUndefined();
  });
});
