import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  cab,
  cfb,
  elf,
  gif,
  jpeg,
  ole10Native,
  olePackage,
  oneNote,
  pdf,
  pe,
  png,
  rar4,
  rar5,
  tar,
  zip,
} from '../test-support/bytes.js';
import { auditor, found } from '../test-support/scan.js';

const audit = auditor();
const archive = async (name: string, bytes: Buffer, policy?: string): Promise<string[]> =>
  found(await audit({ [name]: bytes }, policy), 'archive', 'active-content')
    .map((f) => {
      const [where, rule] = f.split(' ');
      const inner = where!.includes('!') ? where!.slice(where!.indexOf('!') + 1) : '';
      return `${rule!.split('/')[1]}${inner ? ` ${inner}` : ''}`;
    })
    .sort();

const nest = (levels: number, inner: Buffer): Buffer => {
  let bytes = inner;
  for (let i = levels; i > 0; i--) bytes = zip({ [`level${i}.zip`]: bytes });
  return bytes;
};

describe('archive: zip', () => {
  it.each([
    ['a zip of photos', zip({ 'a.jpg': jpeg(), 'b/c.png': png() }), []],
    ['deflated photos', zip({ 'a.jpg': { data: jpeg(), deflate: true } }), []],
    ['zip slip with ../', zip({ '../../etc/cron.d/job': 'x' }), ['zip-slip ../../etc/cron.d/job']],
    ['an absolute path', zip({ '/etc/passwd': 'x' }), ['zip-slip /etc/passwd']],
    ['backslashes and a drive', zip({ 'C:\\Windows\\evil.txt': 'x' }), ['zip-slip C:\\Windows\\evil.txt']],
    ['a symlink entry', zip({ link: { data: '/etc/passwd', mode: 0o120777 } }), ['link-entry link']],
    ['a web shell inside', zip({ 'img/shell.php': '<?php' }), ['dangerous-entry img/shell.php']],
    ['an .htaccess inside', zip({ '.htaccess': 'x' }), ['dangerous-entry .htaccess']],
    ['an ELF behind .jpg inside', zip({ 'cat.jpg': elf() }), ['entry-mismatch cat.jpg']],
    [
      'a ratio bomb',
      zip({ 'zeros.txt': { data: Buffer.alloc(8 * 1024 * 1024), deflate: true } }),
      ['bomb zeros.txt'],
    ],
    [
      'an entry that lies about its size',
      zip({ 'a.txt': { data: 'x'.repeat(5000), declaredSize: 10 } }),
      ['bomb a.txt'],
    ],
    ['overlapping entries', zip({ 'a.txt': 'same', 'b.txt': 'same' }, { overlap: true }), ['bomb']],
  ])('%s', async (_label, bytes, expected) => {
    expect(await archive('bundle.zip', bytes)).toEqual(expected);
  });

  it('judges the name a local header gives an entry when the central directory says another', async () => {
    /** A zip whose local header names its one entry `local`, the central directory `central` (as long). */
    const twoNames = (central: string, local: string): Buffer => {
      const bytes = zip({ [central]: 'x' });
      const at = bytes.indexOf(central);
      bytes.write(local, at, 'latin1');
      return bytes;
    };
    expect(await archive('bundle.zip', twoNames('aaaaaaaaaaaaaaa.txt', '../../../www/x.txt'))).toEqual([
      'zip-slip aaaaaaaaaaaaaaa.txt',
    ]);
    expect(await archive('bundle.zip', twoNames('photo-001.jpg', 'img/shell.php'))).toEqual([
      'dangerous-entry photo-001.jpg',
    ]);
    // The same name in both: one finding, as for any zip.
    expect(await archive('bundle.zip', twoNames('../a.txt', '../a.txt'))).toEqual(['zip-slip ../a.txt']);
  });

  it('opens nested archives and names entries with their inner path', async () => {
    expect(await archive('bundle.zip', nest(1, zip({ 'x.php': '<?php' })))).toEqual([
      'dangerous-entry level1.zip!x.php',
      'nested level1.zip',
    ]);
  });

  it('stops at maxArchiveDepth and says so', async () => {
    const deep = nest(4, zip({ 'x.php': '<?php' }));
    expect(await archive('bundle.zip', deep)).toEqual([
      'nested level1.zip',
      'too-deep level1.zip!level2.zip!level3.zip!level4.zip',
    ]);
    expect(await archive('bundle.zip', deep, 'bounds: { maxArchiveDepth: 8 }')).toEqual([
      'dangerous-entry level1.zip!level2.zip!level3.zip!level4.zip!x.php',
      'nested level1.zip',
    ]);
  });

  it('stops listing at maxArchiveEntries and says so', async () => {
    const many = zip(Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`f${i}.txt`, 'x'])));
    expect(await archive('many.zip', many, 'bounds: { maxArchiveEntries: 10 }')).toEqual(['unreadable']);
  });

  it('reports a truncated zip as unreadable, not clean', async () => {
    const whole = zip({ 'a.txt': 'hello', 'b.txt': 'world' });
    expect(await archive('cut.zip', whole.subarray(0, whole.length - 30))).toEqual(['unreadable']);
  });

  it('limits how many findings one archive gives per rule', async () => {
    const shells = zip(Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`s${i}.php`, '<?php'])));
    const report = await audit({ 'many.zip': shells });
    const entries = report.findings.filter((f) => f.ruleId === 'archive/dangerous-entry');
    expect(entries).toHaveLength(25);
    expect(entries.map((f) => f.evidence.moreEntries).filter(Boolean)).toEqual([15]);
  });
});

/**
 * A tar of `../../etc/cron.d/job` and `img/shell.php`, compressed by Python's bz2 and lzma modules
 * (Node has no compressor for either): what `tar cjf` and `tar cJf` make.
 */
const SLIP_TAR_BZ2 = Buffer.from(
  'QlpoOTFBWSZTWdaSWWUAAGxfgc6QRHH9DYKEDAr+994gAAgICCAAkglRGk0GyjQ0A0Nqaeo2oGmT1BKaqeo0aAyZqDRoNDQDTQaWUVRDkKFABogZmGLb/QiEHmIuEAwwgSCmQHGn27HLVxszA+aYrrtd1F5vGUlQxIIGKebhBUWJkOksVQmM4FZhK6HMd3fKWPW9Q0+ppt32qU27qTwkbcZJr/REsZrvHLm/EI8U4xMBNAhAfxdyRThQkNaSWWU=',
  'base64',
);
const SLIP_TAR_XZ = Buffer.from(
  '/Td6WFoAAATm1rRGAgAhARYAAAB0L+Wj4Cf/AKVdABdguhCNKBlQspqXMqqSizOxugezRCZkbs0e4jzZeXLhRNzDZsVa3jBFZbeGaWdE7kBS/TL3W6Tm9b6yjb+Zo1kfO2mHzu14qP552aBwpZ8PJdrS1FxM9SE6dA35lqzA3T2Gtr5jg5KaXwmU+yNCQUHT5KWJCzCnhsPYWoHxqy/q7auedeWyX/G+JghKI4PvHFIpu3gR7J0F7SphTinlGXcMrKHYAAAAAABYhWIkJFAPnwABwQGAUAAA96hkpbHEZ/sCAAAAAARZWg==',
  'base64',
);
/** One file, `hello <?php system($_GET[0]); ?>`, compressed by xz alone. */
const PHP_XZ = Buffer.from(
  '/Td6WFoAAATm1rRGAgAhARYAAAB0L+WjAQAgaGVsbG8gPD9waHAgc3lzdGVtKCRfR0VUWzBdKTsgPz4KAAAAAGHe+z/hToicAAE5Ic8oa2IftvN9AQAAAAAEWVo=',
  'base64',
);

describe('archive: xz, and bzip2 (not opened)', () => {
  it.each([
    ['a tar.xz that climbs out, with a shell', 'site.tar.xz'],
    ['a txz', 'site.txz'],
  ])('%s', async (_label, name) => {
    expect(await archive(name, SLIP_TAR_XZ)).toEqual([
      'dangerous-entry img/shell.php',
      'zip-slip ../../etc/cron.d/job',
    ]);
  });

  it('says a tar.bz2 was not opened (its JavaScript decoders inflate whole blocks past any budget)', async () => {
    expect(await archive('site.tar.bz2', SLIP_TAR_BZ2)).toEqual(['incomplete']);
  });

  it('reads a file compressed alone by what it holds, named after the archive', async () => {
    expect(await archive('notes.txt.xz', PHP_XZ)).toEqual(['entry-mismatch notes.txt', 'server-code']);
  });

  it('opens a tar.xz inside a zip', async () => {
    expect(await archive('bundle.zip', zip({ 'site.tar.xz': SLIP_TAR_XZ }))).toEqual([
      'dangerous-entry site.tar.xz!img/shell.php',
      'nested site.tar.xz',
      'zip-slip site.tar.xz!../../etc/cron.d/job',
    ]);
  });

  it('says an archive it cannot inflate could not be read, and passes nothing', async () => {
    const cut = Buffer.concat([SLIP_TAR_XZ.subarray(0, 40), Buffer.alloc(40, 0x55)]);
    expect(await archive('site.tar.xz', cut)).toEqual(['unreadable']);
  });
});

describe('archive: files packaged in an Office document', () => {
  const docx = (embedded: Buffer) =>
    zip({
      '[Content_Types].xml': '<Types/>',
      'word/document.xml': '<w:document/>',
      'word/embeddings/oleObject1.bin': embedded,
    });
  const inner = 'word/embeddings/oleObject1.bin';
  it.each([
    [
      'an executable shown as an icon',
      olePackage('invoice.pdf.exe', pe()),
      [`dangerous-entry ${inner}!invoice.pdf.exe`],
    ],
    [
      'a script',
      olePackage('run.vbs', Buffer.from('CreateObject("WScript.Shell").Run "calc"')),
      [`dangerous-entry ${inner}!run.vbs`],
    ],
    [
      'an executable named as a document',
      olePackage('report.pdf', pe()),
      [`entry-mismatch ${inner}!report.pdf`],
    ],
    // Look-alikes: a packaged text file, an embedded object of another kind (a chart, a sheet).
    ['a packaged text file', olePackage('notes.txt', Buffer.from('minutes of the meeting')), []],
  ])('%s', async (_label, embedded, expected) => {
    expect(await archive('letter.docx', docx(embedded))).toEqual(expected);
  });

  it('lists what a legacy .doc packages in its object pool', async () => {
    const doc = (label: string, data: Buffer) =>
      cfb([
        { name: 'WordDocument', type: 'stream', data: Buffer.alloc(4096, 1) },
        { name: 'ObjectPool', type: 'storage' },
        { name: '_1234567890', type: 'storage' },
        { name: '\u0001Ole10Native', type: 'stream', data: ole10Native(label, data) },
      ]);
    expect(await archive('invoice.doc', doc('invoice.pdf.exe', pe()))).toEqual([
      'dangerous-entry invoice.pdf.exe',
    ]);
    expect(await archive('minutes.doc', doc('notes.txt', Buffer.from('minutes')))).toEqual([]);
    expect(await archive('letter.doc', cfb([{ name: 'WordDocument', type: 'stream' }]))).toEqual([]);
  });

  it('leaves an embedded object that packages no file alone', async () => {
    const sheet = cfb([{ name: 'Workbook', type: 'stream', data: Buffer.alloc(4096, 1) }]);
    expect(await archive('letter.docx', docx(sheet))).toEqual([]);
  });
});

describe('archive: cabinets, listed by name', () => {
  it.each([
    [
      'a cabinet of drivers',
      cab([{ name: 'driver\\readme.txt', size: 10 }, { name: 'docs\\manual.pdf' }]),
      [],
    ],
    [
      'an entry that climbs out with ..\\ (CVE-2021-40444)',
      cab([{ name: '..\\championship.inf', size: 900 }]),
      ['dangerous-entry ../championship.inf', 'zip-slip ../championship.inf'],
    ],
    ['a script inside', cab([{ name: 'setup\\run.vbs' }]), ['dangerous-entry setup/run.vbs']],
    ['a UTF-8 name', cab([{ name: 'fotos\\café.jpg', utf8: true }]), []],
  ])('%s', async (_label, bytes, expected) => {
    expect(await archive('update.cab', bytes)).toEqual(expected);
  });

  it('says a cabinet whose file table is cut short could not be read', async () => {
    expect(await archive('update.cab', cab([{ name: 'a.txt' }, { name: 'b.txt' }]).subarray(0, 70))).toEqual([
      'unreadable',
    ]);
  });
});

describe('archive: an Outlook message, its attachments by name', () => {
  const utf16 = (text: string) => Buffer.from(`${text}\0`, 'utf16le');
  const message = (...attachments: { long?: string; short?: string }[]) =>
    cfb([
      { name: '__properties_version1.0', type: 'stream', data: Buffer.alloc(64) },
      { name: '__substg1.0_0037001F', type: 'stream', data: utf16('Your invoice') },
      ...attachments.flatMap(({ long, short }, i) => [
        { name: `__attach_version1.0_#0000000${i}`, type: 'storage' as const },
        ...(long ? [{ name: '__substg1.0_3707001F', type: 'stream' as const, data: utf16(long) }] : []),
        ...(short ? [{ name: '__substg1.0_3704001F', type: 'stream' as const, data: utf16(short) }] : []),
      ]),
    ]);
  it.each([
    [
      'a program behind a document name',
      message({ long: 'invoice.pdf.exe', short: 'INVOIC~1.EXE' }, { long: 'notes.txt' }),
      ['dangerous-entry invoice.pdf.exe'],
    ],
    ['an attachment known by its 8.3 name only', message({ short: 'RUN.HTA' }), ['dangerous-entry RUN.HTA']],
    ['a message with a PDF attached', message({ long: 'Q3 report.pdf' }), []],
    ['a message without attachments', message(), []],
  ])('%s', async (_label, bytes, expected) => {
    expect(await archive('mail.msg', bytes)).toEqual(expected);
  });

  it('a Word document (a Compound File without message properties) is not read as a message', async () => {
    const doc = cfb([
      { name: 'WordDocument', type: 'stream', data: Buffer.alloc(64) },
      { name: '__substg1.0_3707001F', type: 'stream', data: utf16('x.exe') },
    ]);
    expect(await archive('letter.doc', doc)).toEqual([]);
  });
});

describe('archive: mail saved as a file (.eml), its attachments by name', () => {
  const mail = (...parts: string[]) =>
    Buffer.from(
      [
        'Received: from mail.example.net (203.0.113.9)',
        '\tby mx.example.com with ESMTPS',
        'From: "Billing" <billing@example.net>',
        'Subject: =?UTF-8?B?WW91ciBpbnZvaWNl?=',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b1"',
        '',
        ...parts.flatMap((part) => ['--b1', part, '']),
        '--b1--',
        '',
      ].join('\r\n'),
    );
  const text = 'Content-Type: text/plain; charset=utf-8\r\n\r\nThe invoice is attached.';
  it.each([
    [
      'a program behind a document name (a folded Content-Disposition)',
      mail(
        text,
        'Content-Type: application/octet-stream\r\nContent-Disposition: attachment;\r\n\tfilename="invoice.pdf.exe"\r\n\r\nTVqQAA==',
      ),
      ['dangerous-entry invoice.pdf.exe'],
    ],
    [
      "names in RFC 2047 and RFC 2231 encodings, and by the type's name alone",
      mail(
        'Content-Type: application/octet-stream; name="=?UTF-8?Q?Rechnung-M=C3=A4rz.js?="\r\n\r\nx',
        "Content-Type: application/x-msdownload\r\nContent-Disposition: attachment; filename*=UTF-8''setup%2Dv2.scr\r\n\r\nx",
      ),
      ['dangerous-entry Rechnung-März.js', 'dangerous-entry setup-v2.scr'],
    ],
    [
      'a message with a PDF attached',
      mail(
        text,
        'Content-Type: application/pdf\r\nContent-Disposition: attachment; filename="Q3 report.pdf"\r\n\r\nJVBERi0=',
      ),
      [],
    ],
  ])('%s', async (_label, bytes, expected) => {
    expect(await archive('message.eml', bytes)).toEqual(expected);
  });

  it('notes that look like headers, without MIME-Version, are not read as a message', async () => {
    const notes = 'Subject: install\nTodo: fix\n\nContent-Disposition: attachment; filename="run.exe"\n';
    expect(await archive('notes.txt', Buffer.from(notes))).toEqual([]);
  });
});

describe('archive: RAR, listed by its headers', () => {
  it.each([
    [
      'a RAR 5 of photos and a folder',
      rar5([
        { name: 'trip/a.jpg', data: jpeg() },
        { name: 'trip', directory: true },
      ]),
      [],
    ],
    [
      'a RAR 5 entry that climbs out to the web root',
      rar5([{ name: '../../var/www/html/x.php', data: '<?php echo 1;' }]),
      // stored, the PHP is also in the archive's own head, as it is in a small zip's
      ['dangerous-entry ../../var/www/html/x.php', 'server-code', 'zip-slip ../../var/www/html/x.php'],
    ],
    [
      'a RAR 5 symlink out of the folder (CVE-2022-30333)',
      rar5([{ name: 'l', symlink: '../../../../home/user/.ssh/authorized_keys' }]),
      ['link-entry l'],
    ],
    [
      'a stored program named as a photo',
      rar5([{ name: 'img/avatar.jpg', data: pe() }]),
      ['entry-mismatch img/avatar.jpg'],
    ],
    [
      'a RAR 4 (Windows paths) with ..\\ and a script',
      rar4([
        { name: 'docs\\readme.txt', data: 'hi' },
        { name: '..\\..\\shell.aspx', data: 'x' },
      ]),
      ['dangerous-entry ../../shell.aspx', 'zip-slip ../../shell.aspx'],
    ],
    ['a RAR 4 of documents', rar4([{ name: 'q3\\report.pdf', data: pdf() }]), []],
  ])('%s', async (_label, bytes, expected) => {
    expect(await archive('upload.rar', bytes)).toEqual(expected);
  });

  it('finds a script behind a document name and a trailing space (CVE-2023-38831)', async () => {
    const report = await audit({
      'Invoice.rar': rar5([
        { name: 'Invoice.pdf ', directory: true },
        { name: 'Invoice.pdf /Invoice.pdf .cmd', data: '@echo off\r\nstart calc\r\n' },
        { name: 'Invoice.pdf ', data: pdf() },
      ]),
    });
    expect(report.findings.map((f) => [f.ruleId, f.innerPath])).toEqual([
      ['archive/dangerous-entry', 'Invoice.pdf /Invoice.pdf .cmd'],
    ]);
  });

  it('says a RAR whose headers are cut short could not be read', async () => {
    const whole = rar5([
      { name: 'a.txt', data: 'x'.repeat(100) },
      { name: 'b.txt', data: 'y' },
    ]);
    expect(await archive('cut.rar', whole.subarray(0, whole.length - 60))).toEqual(['unreadable']);
  });
});

describe('archive: tar and gzip', () => {
  it.each([
    [
      'a tar of photos',
      'a.tar',
      tar([
        { name: 'a.jpg', data: jpeg() },
        { name: 'd', type: '5' },
      ]),
      [],
    ],
    [
      'a tar with ../ and links',
      'a.tar',
      tar([
        { name: '../x', data: 'x' },
        { name: 'l', type: '2', link: '/etc' },
        { name: 'h', type: '1', link: '../../x' },
      ]),
      ['link-entry h', 'link-entry l', 'zip-slip ../x'],
    ],
    [
      'a tar.gz with a shell',
      'a.tar.gz',
      gzipSync(tar([{ name: 'www/x.phtml', data: '<?php' }])),
      ['dangerous-entry www/x.phtml'],
    ],
    ['a tgz of photos', 'a.tgz', gzipSync(tar([{ name: 'a.jpg', data: jpeg() }])), []],
    ['a gzip of an ELF named .txt', 'notes.txt.gz', gzipSync(elf()), ['entry-mismatch notes.txt']],
    ['a gzip bomb', 'logs.gz', gzipSync(Buffer.alloc(16 * 1024 * 1024)), ['bomb logs']],
    [
      'a tar header that declares more than the archive holds',
      'a.tar',
      tar([{ name: 'big.bin', data: 'x', size: 2 ** 33 }]),
      ['bomb', 'unreadable'],
    ],
  ])('%s', async (_label, name, bytes, expected) => {
    expect(await archive(name, bytes)).toEqual(expected);
  });
});

describe('archive: a compressed stream cut by the inflate budget', () => {
  // 1 MiB of zeros then 256 KiB of noise: the file as a whole inflates ~5:1, its start ~1000:1.
  const noise = Buffer.alloc(256 * 1024);
  for (let i = 0, x = 7; i < noise.length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    noise[i] = x >>> 24;
  }
  const bombThenNoise = gzipSync(Buffer.concat([Buffer.alloc(4 * 1024 * 1024), noise]));
  const budget = 'bounds: { maxInflateBytes: 1MiB }';

  it('is judged by the ratio of the bytes it took to reach the budget, not of the whole file', async () => {
    expect(await archive('logs.gz', bombThenNoise, budget)).toEqual(['bomb logs', 'unreadable']);
  });

  it('a stream of ordinary compressibility cut by the budget is no bomb', async () => {
    const text = Buffer.from(
      Array.from({ length: 60_000 }, (_, i) => `line ${i} ${(i * 7919) % 10007}\n`).join(''),
    );
    expect(await archive('logs.gz', gzipSync(Buffer.concat([text, noise])), budget)).toEqual(['unreadable']);
  });
});

describe('archive: code in the head of a binary entry', () => {
  const gifWithPhp = Buffer.concat([
    gif().subarray(0, 13),
    Buffer.from('!\xfe\x1d<?php system($_GET[0]); ?>\x00', 'latin1'),
    gif().subarray(13),
  ]);
  it.each([
    [
      'a GIF with PHP in a zip',
      zip({ 'img/avatar.gif': { data: gifWithPhp, deflate: true }, 'img/b.png': png() }),
      ['server-code img/avatar.gif'],
    ],
    [
      "a JPEG with JSP in a docx's media",
      zip({
        '[Content_Types].xml': '<Types/>',
        'word/media/image1.jpeg': { data: jpeg('<%@ page import="java.io.*" %>'), deflate: true },
      }),
      ['server-code word/media/image1.jpeg'],
    ],
    [
      'a PNG with a script appended, in a tar',
      tar([{ name: 'p.png', data: Buffer.concat([png(), Buffer.from('<script>alert(1)</script>')]) }]),
      ['html p.png'],
    ],
    [
      'pages and scripts as text',
      zip({
        'site/index.html': { data: '<html><script>go()</script></html>', deflate: true },
        'site/app.css': 'x<?y',
      }),
      [],
    ],
    ['photos', zip({ 'a.jpg': jpeg('a comment'), 'b.png': png() }), []],
    // Stored as they are, a page shows in the archive's own bytes: judged as its entry, not the archive.
    [
      'a website in a tar',
      tar([{ name: 'site/index.html', data: '<html><script src="a.js"></script></html>' }]),
      [],
    ],
    ['a page stored in a zip', zip({ 'index.html': '<html><body>hi</body></html>' }), []],
    // zip:// and phar:// include a file inside whatever its name: server code stays a finding.
    [
      'PHP in a text file of a tar',
      tar([{ name: 'notes.txt', data: '<?php system($_GET[0]); ?>' }]),
      ['entry-mismatch notes.txt', 'server-code'],
    ],
    [
      "compiled code whose strings hold markup (a Swing label's <html>)",
      zip({
        'ui/Frame.class': {
          data: Buffer.concat([
            Buffer.from('cafebabe0000003d', 'hex'),
            Buffer.from('\x01\x00\x20<html><p>Check this box</p>'),
          ]),
          deflate: true,
        },
      }),
      [],
    ],
  ])('%s', async (_label, bytes, expected) => {
    expect(await archive('bundle.zip', bytes)).toEqual(expected);
  });
});

describe('archive: files attached to a OneNote section', () => {
  /** The first attachment's cbLength set to 2^40: a corrupt section, not a bomb. */
  const lying = (section: Buffer): Buffer => {
    const at = section.indexOf(Buffer.from('e716e3bd65261145a4c48d4d0b7a9eac', 'hex'));
    const copy = Buffer.from(section);
    copy.writeBigUInt64LE(2n ** 40n, at + 16);
    return copy;
  };
  const hta = Buffer.from(
    '<HTA:APPLICATION id="x" windowstate="minimize"><script language="VBScript">CreateObject("WScript.Shell").Run "cmd /c calc"</script>',
  );
  it.each([
    ['an .hta behind a button', oneNote(['Open.hta'], [hta]), ['dangerous-entry Open.hta']],
    ['an executable', oneNote(['invoice.pdf'], [pe()]), ['entry-mismatch #1']],
    [
      'a batch file by its name',
      oneNote(['View_Document.cmd'], [Buffer.from('@echo off\r\ncurl ...\r\n')]),
      ['dangerous-entry View_Document.cmd'],
    ],
    ['an attached PDF and photo', oneNote(['report.pdf', 'IMG_0001.jpg'], [pdf(), jpeg()]), []],
    // Names in a note's text are no attachments: a section without attached data is not listed.
    ['a note that names setup.exe', oneNote(['setup.exe'], []), []],
    ['an attachment whose length runs past the file', lying(oneNote(['a.png'], [png()])), []],
  ])('%s', async (_label, bytes, expected) => {
    expect(await archive('notes.one', bytes)).toEqual(expected);
  });
});
