import { describe, expect, it } from 'vitest';
import type { DetectedType } from '../model/types.js';
import { check, detected, facts } from '../test-support/rule-tester.js';
import { RULES } from './index.js';

const mimeRules = RULES.filter((r) => r.category === 'mime-mismatch' && r.kinds.includes('file'));

const ELF = detected('elf', 'application/x-elf');
const PE = detected('exe', 'application/x-msdownload');
const PHP = detected('php', 'application/x-httpd-php', 'text');
const SH = detected('sh', 'text/x-shellscript', 'text');
const HTML = detected('html', 'text/html', 'text');
const SVG = detected('svg', 'image/svg+xml', 'text');
const TEXT = detected('txt', 'text/plain', 'text');
const PNG = detected('png', 'image/png');
const JPG = detected('jpg', 'image/jpeg');
const ZIP = detected('zip', 'application/zip');
const DOCX = detected('docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document');
const PDF = detected('pdf', 'application/pdf');
const M3U = detected('m3u8', 'application/vnd.apple.mpegurl', 'text');
const CLASS = detected('class', 'application/java-vm');
const WASM = detected('wasm', 'application/wasm');
const SWF = detected('swf', 'application/x-shockwave-flash');

/** Which mime-mismatch rules fire for a name and a detected type. */
function fired(name: string, type: DetectedType | undefined, size = 100): string[] {
  const file = facts(name, type ? { detected: type, size } : { size });
  return mimeRules.filter((rule) => check(rule, file).length > 0).map((rule) => rule.id);
}

describe('mime-mismatch rules', () => {
  it.each([
    // benign: the content keeps the extension's promise
    ['photo.jpg', JPG, []],
    ['live.m3u8', M3U, []],
    ['clip.avi', M3U, ['mime-mismatch/playlist']],
    ['movie.mp4', M3U, ['mime-mismatch/playlist']],
    ['photo.JPEG', JPG, []],
    ['icon.png', PNG, []],
    ['letter.docx', DOCX, []],
    ['letter.docx', ZIP, []],
    ['clip.mp4', detected('3gp', 'video/3gpp'), []],
    ['notes.txt', TEXT, []],
    ['data.csv', TEXT, []],
    ['logo.svg', SVG, []],
    ['run.sh', SH, []],
    ['tool.exe', PE, []],
    // code whose name says what it is (a jar's classes, a browser's module)
    ['Main.class', CLASS, []],
    ['app.wasm', WASM, []],
    ['intro.swf', SWF, []],
    ['unknown.xyz', PNG, []],
    ['README', TEXT, []],
    // dangerous content behind a harmless name
    ['avatar.png', ELF, ['mime-mismatch/executable']],
    ['avatar.jpg', PHP, ['mime-mismatch/executable']],
    ['report.pdf', PE, ['mime-mismatch/executable']],
    ['notes.txt', SH, ['mime-mismatch/executable']],
    ['upload', ELF, ['mime-mismatch/executable']],
    ['cat.jpg', CLASS, ['mime-mismatch/executable']],
    ['Main.class', PE, ['mime-mismatch/executable']],
    // a Flash movie named as a picture: `<embed type="application/x-shockwave-flash">` plays it
    ['avatar.jpg', SWF, ['mime-mismatch/executable']],
    // markup behind an image or document extension
    ['avatar.jpg', HTML, ['mime-mismatch/markup']],
    ['avatar.png', SVG, ['mime-mismatch/markup']],
    ['logo.svg', HTML, ['mime-mismatch/markup']],
    // another image type
    ['thumb.png', JPG, ['mime-mismatch/image-type']],
    ['logo.svg', PNG, ['mime-mismatch/image-type']],
    // another kind entirely
    ['report.pdf', ZIP, ['mime-mismatch/wrong-type']],
    ['photo.jpg', PDF, ['mime-mismatch/wrong-type']],
    ['data.csv', PNG, ['mime-mismatch/wrong-type']],
    // a binary extension without its signature
    ['photo.jpg', undefined, ['mime-mismatch/unrecognized']],
    ['photo.jpg', TEXT, ['mime-mismatch/unrecognized']],
  ])('%s as %j', (name, type, expected) => {
    expect(fired(name, type)).toEqual(expected);
  });

  it('says nothing about empty files (size/empty does)', () => {
    expect(fired('photo.jpg', undefined, 0)).toEqual([]);
  });

  it('puts the extension and the detected type in the evidence', () => {
    const rule = mimeRules.find((r) => r.id === 'mime-mismatch/executable')!;
    expect(check(rule, facts('cat.png', { detected: ELF }))[0]?.evidence).toEqual({
      extension: '.png',
      detectedType: 'application/x-elf',
      detectedExtension: 'elf',
    });
  });
});
