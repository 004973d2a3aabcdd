import { fileTypeFromBuffer } from 'file-type';
import { describe, expect, it } from 'vitest';
import { elf, gif, jpeg, pdf, pe, png, tar, zip } from '../test-support/bytes.js';
import fc from '../test-support/fast-check.js';
import { detectKnown, detectType, NEEDS_FILE_TYPE } from './detect.js';
import { looksLikeText, sniffText } from './sniff.js';

describe('detectType', () => {
  it.each([
    ['png', png(), 'png'],
    ['jpeg', jpeg(), 'jpg'],
    ['jpeg with <? in a comment', jpeg('<? not php'), 'jpg'],
    ['gif', gif(), 'gif'],
    ['pdf', pdf(), 'pdf'],
    ['elf', elf(), 'elf'],
    ['pe', pe(), 'exe'],
    ['zip', zip({ 'a.txt': 'hello' }), 'zip'],
    ['php', Buffer.from('<?php echo 1; ?>'), 'php'],
    ['short php tag', Buffer.from('hello <?= $x ?>'), 'php'],
    ['shebang', Buffer.from('#!/bin/sh\nid\n'), 'sh'],
    ['php shebang', Buffer.from('#!/usr/bin/php\n<?php'), 'php'],
    ['jsp', Buffer.from('<%@ page import="java.io.*" %>'), 'jsp'],
    ['asp', Buffer.from('<% Response.Write("x") %>'), 'asp'],
    ['html', Buffer.from('<!DOCTYPE html><html><body>hi</body></html>'), 'html'],
    ['html after comment', Buffer.from('<!-- x --><script>alert(1)</script>'), 'html'],
    ['svg', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'svg'],
    [
      'svg with xml prolog',
      Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>'),
      'svg',
    ],
    ['xml', Buffer.from('<?xml version="1.0"?><feed/>'), 'xml'],
    ['text', Buffer.from('name,size\nphoto.jpg,12\n'), 'txt'],
  ])('%s', async (_label, bytes, ext) => {
    expect((await detectType(bytes))?.ext).toBe(ext);
  });

  it('calls text text, even where a binary signature check would match by chance', async () => {
    // file-type's tar check accepts this text (a chance checksum match); text never reaches it now.
    const notes = Buffer.from('note 34001\n'.repeat(20));
    expect((await detectType(notes))?.ext).toBe('txt');
    expect((await detectType(tar([{ name: 'a.txt', data: 'x' }])))?.ext).toBe('tar');
  });

  it.each([
    ['plain', zip({ 'a.txt': 'hello', 'b/c.jpg': jpeg() }), true],
    [
      'plain, first entry past the head',
      zip({ 'big.bin': Buffer.alloc(10_000, 7), 'word/x.xml': 'x' }),
      true,
    ],
    ['docx', zip({ '[Content_Types].xml': '<Types/>', 'word/document.xml': '<w/>' }), false],
    ['word folder only', zip({ 'word/document.xml': '<w/>' }), false],
    [
      'xlsx folder after a plain entry',
      zip({ 'a.txt': 'x', '[Content_Types].xml': 'x', 'xl/s.xml': 'x' }),
      false,
    ],
    ['odt', zip({ mimetype: 'application/vnd.oasis.opendocument.text', 'content.xml': '<x/>' }), false],
    ['epub', zip({ mimetype: 'application/epub+zip', 'META-INF/container.xml': '<x/>' }), false],
    ['jar', zip({ 'META-INF/MANIFEST.MF': 'Manifest-Version: 1.0', 'A.class': 'x' }), false],
    ['xpi', zip({ 'META-INF/mozilla.rsa': 'x' }), false],
    ['apk', zip({ 'res/a.xml': 'x', 'classes2.dex': 'dex' }), false],
    ['3mf', zip({ '[Content_Types].xml': 'x', '3D/3dmodel.model': '<model/>' }), false],
    ['deflated', zip({ 'a.txt': { data: 'hello '.repeat(100), deflate: true } }), true],
    ['truncated', zip({ 'a.txt': 'hello' }).subarray(0, 40), true],
  ])('calls a %s zip what file-type calls it', async (_label, bytes, withoutFileType) => {
    const head = bytes.subarray(0, 4096);
    const theirs = await fileTypeFromBuffer(head);
    expect((await detectType(head))?.ext).toBe(theirs?.ext);
    // The plain ones are settled without file-type; the rest are left to it.
    expect(detectKnown(head) !== NEEDS_FILE_TYPE).toBe(withoutFileType);
  });

  const contentTypes = (main: string): string =>
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/main.xml" ContentType="${main}"/></Types>`;
  it.each([
    'application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml',
    'application/vnd.ms-word.document.macroEnabled.main+xml',
    'application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml',
    'application/vnd.ms-word.template.macroEnabledTemplate.main+xml',
    'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml',
    'application/vnd.ms-excel.sheet.macroEnabled.main+xml',
    'application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml',
    'application/vnd.ms-excel.template.macroEnabled.main+xml',
    'application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml',
    'application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml',
    'application/vnd.openxmlformats-officedocument.presentationml.template.main+xml',
    'application/vnd.ms-powerpoint.template.macroEnabled.main+xml',
    'application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml',
    'application/vnd.ms-powerpoint.slideshow.macroEnabled.main+xml',
    'application/vnd.ms-visio.drawing.main+xml',
    'application/vnd.ms-package.3dmanufacturing-3dmodel+xml',
  ])('types an Office package by its first entry %s, as file-type does, without it', async (main) => {
    for (const deflate of [false, true]) {
      const head = zip({
        '[Content_Types].xml': { data: contentTypes(main), deflate },
        'word/document.xml': '<w/>',
      }).subarray(0, 4096);
      const theirs = await fileTypeFromBuffer(head);
      expect(theirs).toBeDefined();
      expect(detectKnown(head)).toEqual({ ...theirs, source: 'signature' });
    }
  });

  it.each([
    [
      'a main part file-type does not know',
      zip({ '[Content_Types].xml': contentTypes('application/x-new.main+xml') }),
    ],
    [
      'content types after another entry',
      zip({
        'a.txt': 'x',
        '[Content_Types].xml': contentTypes('application/vnd.ms-excel.sheet.macroEnabled.main+xml'),
      }),
    ],
    [
      'content types past the head',
      zip({
        '[Content_Types].xml': `${contentTypes('application/vnd.ms-excel.sheet.macroEnabled.main+xml')}${' '.repeat(5000)}`,
      }),
    ],
    [
      'content types that do not inflate',
      (() => {
        const bytes = zip({ '[Content_Types].xml': { data: contentTypes('x.main+xml'), deflate: true } });
        bytes.fill(0xff, 49, 60);
        return bytes;
      })(),
    ],
  ])('leaves an Office package to file-type: %s', async (_label, bytes) => {
    const head = bytes.subarray(0, 4096);
    expect(detectKnown(head)).toBe(NEEDS_FILE_TYPE);
    expect((await detectType(head))?.ext).toBe((await fileTypeFromBuffer(head))?.ext);
  });

  it('has no verdict for empty or random binary content', async () => {
    expect(await detectType(Buffer.alloc(0))).toBeUndefined();
    expect(await detectType(Buffer.from([0, 1, 2, 3, 250, 251, 0, 9, 8]))).toBeUndefined();
  });
});

describe('looksLikeText', () => {
  it.each([
    ['19 letters and one control byte (5%): not text', 19, false],
    ['20 letters and one control byte (under 5%): text', 20, true],
  ])('%s', (_, letters, verdict) => {
    expect(looksLikeText(Uint8Array.from([...Buffer.from('a'.repeat(letters)), 0x01]))).toBe(verdict);
    expect(looksLikeText(Uint8Array.from([...Buffer.from('a'.repeat(letters)), 0x1b]))).toBe(true);
    expect(looksLikeText(Uint8Array.from([...Buffer.from('a'.repeat(letters)), 0x00]))).toBe(false);
  });

  it('agrees with its definition (no NUL, under 5% control bytes) on any bytes', () => {
    const definition = (bytes: Uint8Array): boolean => {
      if (bytes.length === 0) return false;
      let bad = 0;
      for (const b of bytes) {
        if (b === 0) return false;
        if (b < 0x09 || (b > 0x0d && b < 0x20 && b !== 0x1b) || b === 0x7f) bad++;
      }
      return bad / bytes.length < 0.05;
    };
    // Mostly printable with a few controls, so both verdicts come up often.
    const byte = fc.oneof(
      { weight: 30, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) },
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.array(byte, { maxLength: 300 }).map((a) => Uint8Array.from(a)),
        ),
        (bytes) => {
          expect(looksLikeText(bytes)).toBe(definition(bytes));
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('server code in text, short and long forms', () => {
  const kind = (text: string) => sniffText(Buffer.from(text))?.ext;
  it.each([
    ['<? system($_GET["c"]); ?>', 'php'],
    ['<?\n@eval($_POST[x]);', 'php'],
    ['<?\n  @$x = $_POST["p"]; eval($x);', 'php'],
    ['<?=`$_GET[c]`?>', 'php'],
    ['<%@ Page Language="C#" %>\n<script runat=server>', 'jsp'],
    ['<%@ WebHandler Language="C#" Class="Handler" %>\nusing System;', 'asp'],
    [`<% eval request("x") ${'x'.repeat(5000)} %>`, 'asp'],
    ['<%! String cmd; %>', 'jsp'],
    ['<cfexecute name="cmd.exe" arguments="/c whoami" timeout="5" />', 'cfm'],
    ['<cfscript>writeOutput(1)</cfscript>', 'cfm'],
    ['<asp:Label ID="x" runat="server" Text="hi" />', 'asp'],
    ['<html><body><!--#exec cmd="id" --></body></html>', 'shtml'],
    ['<!--#exec cgi="/cgi-bin/x.cgi"-->', 'shtml'],
  ])('%j is %s', (text, ext) => {
    expect(kind(text)).toBe(ext);
  });

  it.each([
    '<?xml version="1.0"?>\n<?xml-stylesheet href="a.xsl"?>\n<r/>',
    'Results: 45% of users <% more than last year',
    'a <? b and c',
    'see the <cfml> reference',
    // ASP.NET reads runat only in a tag: prose that mentions it is no page.
    'Set runat=server on every control, as the manual says.',
    '<html><!--#include virtual="/footer.html" --><!-- #exec is in the manual --></html>',
  ])('%j is not server code', (text) => {
    expect(['php', 'asp', 'jsp', 'cfm', 'shtml']).not.toContain(kind(text));
  });
});

describe('playlists and XML without a prolog', () => {
  const kind = (text: string) => sniffText(Buffer.from(text))?.ext;
  it.each([
    ['#EXTM3U\n#EXTINF:10,\nconcat:http://x/a|file:///etc/passwd\n', 'm3u8'],
    ['<x:root xmlns:x="urn:x"><x:a/></x:root>', 'xml'],
    ['<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]><r>&e;</r>', 'xml'],
    ['some text first\n<!DOCTYPE r [<!ENTITY e SYSTEM "http://x/">]><r/>', 'xml'],
    ['<p>just a paragraph</p>', 'txt'],
    ['# a markdown title\n\nEXTM3U is a format', 'txt'],
  ])('%j is %s', (text, ext) => {
    expect(kind(text)).toBe(ext);
  });
});

describe('a playlist inside an AVI', () => {
  /** A RIFF AVI with a main header, then a movi list whose first chunk is `chunk`. */
  const avi = (chunkId: string, data: Buffer): Buffer => {
    const riffChunk = (id: string, body: Buffer) => {
      const size = Buffer.alloc(4);
      size.writeUInt32LE(body.length);
      return Buffer.concat([Buffer.from(id, 'latin1'), size, body, Buffer.alloc(body.length % 2)]);
    };
    const list = (type: string, body: Buffer) => riffChunk('LIST', Buffer.concat([Buffer.from(type), body]));
    const header = list('hdrl', riffChunk('avih', Buffer.alloc(56)));
    const movi = list('movi', Buffer.concat([riffChunk(chunkId, data), riffChunk('00dc', Buffer.alloc(3))]));
    return riffChunk('RIFF', Buffer.concat([Buffer.from('AVI '), header, movi]));
  };
  const gab2 = (payload: string) =>
    Buffer.concat([Buffer.from('GAB2\0\x02\0', 'latin1'), Buffer.alloc(10), Buffer.from(payload)]);

  it('a GAB2 subtitle packet holding an HLS playlist makes the file a playlist (ffmpeg opens it)', async () => {
    const playlist = '#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:1,\nfile:///etc/passwd\n#EXT-X-ENDLIST';
    expect((await detectType(avi('00tx', gab2(playlist))))?.ext).toBe('m3u8');
  });

  it('an AVI with ordinary subtitles, or video frames only, stays an AVI', async () => {
    expect((await detectType(avi('00tx', gab2('1\n00:00:01,000 --> 00:00:02,000\nHello\n'))))?.ext).toBe(
      'avi',
    );
    expect((await detectType(avi('00dc', Buffer.alloc(64, 7))))?.ext).toBe('avi');
  });
});

describe('valid files file-type alone would misread', () => {
  it('UTF-16 text with a byte order mark is text, and its content is still judged', async () => {
    const le = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const be = (text: string) => {
      const body = Buffer.from(text, 'utf16le');
      body.swap16();
      return Buffer.concat([Buffer.from([0xfe, 0xff]), body]);
    };
    expect((await detectType(le('Hello, plain text.\r\n')))?.ext).toBe('txt');
    expect((await detectType(be('Big endian notes')))?.ext).toBe('txt');
    expect((await detectType(le('<?xml version="1.0" encoding="UTF-16"?><r/>')))?.ext).toBe('xml');
    expect((await detectType(le('<?php system($_GET[1]); ?>')))?.ext).toBe('php');
    // Not text after the mark (an MPEG audio frame starts FF FE too): left to file-type.
    const frames = Buffer.alloc(4096);
    for (let i = 0; i < frames.length; i++) frames[i] = (i * 7919 + 13) & 0xff;
    frames[0] = 0xff;
    frames[1] = 0xfe;
    expect((await detectType(frames))?.ext).not.toBe('txt');
  });

  it('a TIFF whose first directory lies past the head is a TIFF', async () => {
    const head = Buffer.alloc(4096);
    head.write('II*\0', 0, 'latin1');
    head.writeUInt32LE(20_008, 4);
    expect(await detectType(head)).toEqual({ ext: 'tif', mime: 'image/tiff', source: 'signature' });
    const big = Buffer.alloc(4096);
    big.write('MM\0*', 0, 'latin1');
    big.writeUInt32BE(1_000_000, 4);
    expect((await detectType(big))?.ext).toBe('tif');
  });
});
