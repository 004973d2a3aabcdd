import { describe, expect, it } from 'vitest';
import fc from '../test-support/fast-check.js';
import { DEFAULT_LIMITS } from './limits.js';
import { isMimeMessage, mailAttachments } from './mail.js';
import { MemoryBytes } from './memory-bytes.js';

const names = async (text: string) =>
  (await mailAttachments(new MemoryBytes(Buffer.from(text, 'latin1')), DEFAULT_LIMITS))?.facts.entries.map(
    (e) => e.path,
  ) ?? [];

describe('MIME messages', () => {
  it('is a message when header fields come first and name a MIME version (an mbox From line allowed)', () => {
    const head = (text: string) => isMimeMessage(Buffer.from(text));
    expect(head('From: a@b\r\nMIME-Version: 1.0\r\nSubject: x\r\n\r\nbody')).toBe(true);
    expect(
      head('From alice@example.com Thu Mar 14 09:12:01 2024\nReceived: x\n\tby y\nMIME-Version: 1.0\n\n'),
    ).toBe(true);
    expect(head('Subject: notes\nTodo: x\n\nMIME-Version: 1.0')).toBe(false);
    expect(head('# Title\nMIME-Version: 1.0\n')).toBe(false);
  });

  it('names each part by its filename, else its type name, decoding RFC 2047 and 2231, once each', async () => {
    const message = [
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary=b',
      '',
      '--b',
      'Content-Type: application/pdf; name="report.pdf"',
      'Content-Disposition: attachment; filename="report.pdf"',
      '',
      '--b',
      'Content-Type: application/octet-stream;',
      ' name="=?ISO-8859-1?Q?caf=E9.exe?="',
      '',
      '--b',
      "Content-Disposition: attachment; filename*=UTF-8''%E2%80%AEfdp.scr",
      '',
      '--b',
      'Content-Disposition: inline; filename=token.txt',
      '',
    ].join('\r\n');
    expect(await names(message)).toEqual(['report.pdf', '\u202efdp.scr', 'token.txt', 'café.exe']);
  });

  it('never throws, whatever the headers hold', async () => {
    const field = fc.constantFrom(
      'Content-Disposition: attachment; filename',
      'Content-Type: a/b; name',
      '*=',
      '="',
      "=UTF-8''%",
      '=?UTF-8?B?',
      '?=',
      '\r\n\t',
      '"',
      ';',
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(field, fc.string({ maxLength: 8 })), { maxLength: 30 }),
        async (parts) => {
          await names(`MIME-Version: 1.0\r\n\r\n${parts.join('')}`);
        },
      ),
      { numRuns: 300 },
    );
  });
});
