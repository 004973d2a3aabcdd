import type { DetectedType } from '../model/types.js';

/** How many head bytes the text heuristics look at (they never see more than the sniffed head). */
export const TEXT_SNIFF_BYTES = 4096;

const text = (ext: string, mime: string): DetectedType => ({ ext, mime, source: 'text' });

/** 1 for the control bytes text should not hold (all but tab, LF, VT, FF, CR, ESC), and DEL. */
const CONTROL = new Uint8Array(256);
for (let b = 1; b < 0x20; b++) if (b < 0x09 || (b > 0x0d && b !== 0x1b)) CONTROL[b] = 1;
CONTROL[0x7f] = 1;

/** No NUL, and under 5% control bytes: text, which file-type (binary signatures only) cannot name. */
export function looksLikeText(bytes: Uint8Array): boolean {
  if (bytes.length === 0 || bytes.indexOf(0) !== -1) return false;
  let bad = 0;
  for (let i = 0; i < bytes.length; i++) bad += CONTROL[bytes[i]!]!;
  return bad / bytes.length < 0.05;
}

/**
 * PHP: `<?php`, `<?=`, or a short open tag `<?` followed by a statement (not `<?xml`, whose
 * processing instructions start the same way).
 */
const PHP =
  /<\?php|<\?=|<\?\s+@?(?:echo|print|eval|assert|system|exec|passthru|shell_exec|popen|proc_open|include|require|if\s*\(|foreach|\$[a-z_])/i;
/** An ASP or ASP.NET directive, or a block that starts with code, whose `%>` may lie past the head. */
const ASP_OPEN =
  /<%@\s*(?:page|language|webhandler|webservice|import|control|master|assembly|codepage)\b|<%[=]?\s*(?:eval|execute|response\.|request[.([]|server\.|createobject|dim\s|set\s+\w+\s*=|on\s+error)/i;
/** ColdFusion tags that run code, read or write files, or fetch URLs. */
const COLDFUSION =
  /<cf(?:execute|script|file|http|object|invoke|set|output|query|directory|registry|include|module|component|function|dump)\b/i;

/**
 * A server-side include that runs a command (`<!--#exec cmd="id" -->`): a server that parses the
 * file for SSI (an .shtml, or .html with XBitHack or an INCLUDES filter) runs it. The other
 * directives (include, echo, config) are how SSI pages are built, and are left alone.
 */
const SSI_EXEC = /<!--#\s*exec\s+(?:cmd|cgi)\s*=/i;

/** XML without a prolog: a root element that declares a namespace. */
const XML_ROOT = /^<[a-z_][\w.:-]*\s[^>]*\bxmlns(?::[\w.-]+)?\s*=/i;

/**
 * ImageMagick's own formats, which it recognizes by content whatever the name: a drawing script
 * (MVG, starting `push graphic-context` or `viewbox`, after `#` comments) and its scripting
 * language (MSL: an `<image>` that reads or writes files).
 */
const MVG_START = /^(?:#[^\n]*\n\s*)*(?:push\s+graphic-context\b|viewbox\s+-?\d)/i;
const MSL = /<image\b[^>]*>\s*(?:<!--[\s\S]*?-->\s*)*<(?:read|write)\b[^>]*\bfilename\s*=/i;

const HTML_START =
  /^(?:<!--[\s\S]*?-->\s*)*<(?:!doctype\s+html|html|head|body|script|iframe|meta|title|style|form)[\s>/]/i;
const SVG_TAG = /<svg[\s>]/i;

/**
 * What a text file is, when file-type (binary signatures only) has no verdict: server-side code,
 * a shebang script, HTML, SVG, XML, or plain text. Looks only at `head`.
 */
export function sniffText(head: Uint8Array): DetectedType | undefined {
  return looksLikeText(head.subarray(0, TEXT_SNIFF_BYTES)) ? classifyText(head) : undefined;
}

/** sniffText for a head already known to look like text (looksLikeText). */
export function classifyText(head: Uint8Array): DetectedType {
  const bytes = head.subarray(0, TEXT_SNIFF_BYTES);
  const src = Buffer.from(bytes)
    .toString('latin1')
    .replace(/^\xef\xbb\xbf/, '');
  const start = src.trimStart();
  // HLS/M3U playlists: video converters (ffmpeg) follow the URLs and file paths they list.
  if (start.startsWith('#EXTM3U')) return text('m3u8', 'application/vnd.apple.mpegurl');
  // RTF: Word opens anything that starts `{\rt` as RTF (exploits write `{\rtvpn…` to dodge `{\rtf1`).
  if (src.startsWith('{\\rt')) return text('rtf', 'application/rtf');
  // PostScript (and text EPS): `%!` at the very start is what Ghostscript and ImageMagick look for.
  if (src.startsWith('%!')) return text('ps', 'application/postscript');
  if (start.startsWith('#!')) {
    return /^#!\S*php/.test(start)
      ? text('php', 'application/x-httpd-php')
      : text('sh', 'text/x-shellscript');
  }
  // Every marker below but ImageMagick's drawing script is, or sits in, a tag: a head with no `<`
  // (most plain text, CSV, JSON) skips them. (`runat=server` counts only in a tag, where ASP.NET
  // reads it.)
  const tags = src.includes('<');
  if (tags) {
    if (src.includes('<?') && PHP.test(src)) return text('php', 'application/x-httpd-php');
    if (/<jsp:|<%@\s*page\s|<%!\s*[a-z]/i.test(src)) return text('jsp', 'application/x-jsp');
    if (/<%[\s\S]*?%>/.test(src) || /runat\s*=\s*["']?server/i.test(src) || ASP_OPEN.test(src))
      return text('asp', 'application/x-asp');
    if (COLDFUSION.test(src)) return text('cfm', 'application/x-coldfusion');
    if (SSI_EXEC.test(src)) return text('shtml', 'text/x-server-parsed-html');
  }
  if (MVG_START.test(start)) return text('mvg', 'image/x-mvg');
  if (!tags) return text('txt', 'text/plain');
  if (MSL.test(src)) return text('msl', 'application/x-msl');
  if (start.startsWith('<')) {
    if (HTML_START.test(start)) return text('html', 'text/html');
    if (SVG_TAG.test(start)) return text('svg', 'image/svg+xml');
    if (start.startsWith('<?xml') || /^<!DOCTYPE\s/i.test(start) || XML_ROOT.test(start))
      return text('xml', 'application/xml');
  }
  // A document type with entities after some text is still XML to a parser that is handed it.
  if (/<!DOCTYPE[^>[]*\[[\s\S]*?<!ENTITY/i.test(src)) return text('xml', 'application/xml');
  return text('txt', 'text/plain');
}
