/**
 * Active content in bytes we already hold: server-side code in binary files (polyglots), and
 * scripts, handlers, external references and entities in markup. Patterns are anchored on
 * multi-byte tokens so random image bytes (`<?` in a JPEG) do not match.
 */
import type { ActiveHit, ActiveKind } from '../model/types.js';

const SAMPLE_CHARS = 60;

/** The text at `index`, SAMPLE_CHARS of it, with what does not print as spaces: a finding's excerpt. */
export function sample(text: string, index: number): string {
  return text.slice(index, index + SAMPLE_CHARS).replace(/[^\x20-\x7e]+/g, ' ');
}

function firstHit(kind: ActiveKind, pattern: RegExp, text: string, where: string): ActiveHit | undefined {
  const match = pattern.exec(text);
  return match ? { kind, where, sample: sample(text, match.index) } : undefined;
}

/** Server-side code markers strong enough not to occur by chance in binary data. */
const SERVER_CODE: RegExp[] = [
  /<\?php[\s(]/i,
  // The short echo tag before a variable, a suppressed call (`<?=@$_GET[0](…)`), a backtick
  // command, a parenthesized callee (`<?=("sys"."tem")(…)`), or a name and its call.
  /<\?=\s*(?:[$@`(]|[a-z_]\w*\s*[(;?])/i,
  /<\?\s+@?(?:echo|print|eval|assert|system|exec|passthru|shell_exec|include|require)[\s(]/i,
  // A short open tag before a variable used as a function, an array or an assignment.
  /<\?\s+@?\$[a-z_]\w*\s*[[(=]/i,
  /<%@\s*(?:page|language|webhandler|webservice|import|control|master|assembly)\b/i,
  /<%!\s*(?:public|private|static|import|class|string|void|int|java\.)/i,
  /<cf(?:execute|script|file|http|object|invoke|registry)\b/i,
  /<script\s+language\s*=\s*["']?php/i,
  // ASP.NET's server-side script block: `<script runat="server">` runs on the server, not the browser.
  /<script\b[^>]{0,200}?\brunat\s*=\s*["']?server/i,
  /__halt_compiler\s*\(/i,
  // A server-side include that runs a command or reads a file.
  /<!--#\s*exec\s+(?:cmd|cgi)\s*=/i,
  /<%@\s*page\s/i,
  /<jsp:[a-z]/i,
  // Classic ASP and JSP code that evaluates, writes out, reads the request or starts a program
  // (`Request("c")` without a dot, `CreateObject("WScript.Shell")` without Server).
  /<%[!=]?\s*[\s\S]{0,200}?(?:eval|execute|response\.write|request\s*[.(]|createobject\s*\(|wscript\.shell|runtime\.getruntime)[\s\S]{0,200}?%>/i,
];

/**
 * Bytes that must be present before the (slower) patterns run: `<` followed by one of `?%sShHiIj!`
 * (`<?`, `<%`, `<script`, `<html`, `<iframe`, `<img`, `<jsp:`, `<!--#exec`…), `<cf` (ColdFusion), or
 * `__halt`/`__HALT`. Most files have none. One native search for `<` and a table look-up beats a
 * search per marker.
 */
const AFTER_LT = new Uint8Array(256);
for (const c of '?%sShHiIj!') AFTER_LT[c.charCodeAt(0)] = 1;
const LT = 0x3c;
export const mayHoldCode = (bytes: Uint8Array): boolean => {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const last = buf.length - 1;
  for (let i = buf.indexOf(LT); i !== -1 && i < last; i = buf.indexOf(LT, i + 1)) {
    const next = buf[i + 1]!;
    if (AFTER_LT[next] === 1) return true;
    // `<cf`, either case: checked here, in the one pass over the `<`s.
    if ((next | 0x20) === 0x63 && ((buf[i + 2] ?? 0) | 0x20) === 0x66) return true;
  }
  return buf.includes('__halt', 0, 'latin1') || buf.includes('__HALT', 0, 'latin1');
};

/** Script or markup that turns a binary file into a page: GIFAR-style appended HTML. */
const APPENDED_MARKUP = /<(?:script|html|iframe)[\s>]/i;

/** Server-side code or a script tag hidden in bytes of a binary file (head or tail). */
export function scanBinary(bytes: Uint8Array, where: string): ActiveHit[] {
  if (bytes.length === 0) return [];
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const hits: ActiveHit[] = [];
  for (const pattern of SERVER_CODE) {
    const hit = firstHit('server-code', pattern, text, where);
    if (hit) {
      hits.push(hit);
      break;
    }
  }
  const markup = firstHit('html', APPENDED_MARKUP, text, where);
  if (markup) hits.push(markup);
  return hits;
}

/**
 * A statement right after a block comment closes (`=alert(document.domain)`, `;fetch(…)`): what
 * makes the bytes before the comment, an image header, part of a valid script.
 */
const STATEMENT_AFTER_COMMENT = /\*\/\s*[=;,]\s*[A-Za-z_$][\w$.]*\s*[(=`]/;

/**
 * An image that is also JavaScript, the bypass of a `script-src 'self'` policy through an upload:
 * a GIF whose logical screen width is the two bytes that open a block comment (or a JPEG whose
 * first segment length is) turns the rest of the header into a comment; it closes in the image
 * bytes, and a statement follows, so `GIF89a` becomes a variable assigned `alert(1)`.
 * `<script src="/uploads/avatar.gif">` runs it.
 */
export function scriptPolyglot(
  ext: string,
  head: Uint8Array,
  tail: Uint8Array | undefined,
): ActiveHit | undefined {
  const opensAt = ext === 'gif' ? 6 : ext === 'jpg' ? 4 : -1;
  if (opensAt < 0 || head[opensAt] !== 0x2f || head[opensAt + 1] !== 0x2a) return undefined;
  for (const [bytes, where] of [
    [head, 'head'],
    [tail, 'tail'],
  ] as const) {
    if (!bytes) continue;
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
    const at = text.search(STATEMENT_AFTER_COMMENT);
    if (at >= 0) return { kind: 'html', where, sample: sample(text, at) };
  }
  return undefined;
}

/** The EICAR anti-virus test file's 68 characters (split so this source is not itself one). */
const EICAR = Buffer.from(
  `X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-${'ANTIVIRUS'}-TEST-FILE!$H+H*`,
  'latin1',
);

/**
 * The EICAR test file: bytes that start with its string, followed by whitespace at most, 128
 * bytes in all (its definition; anti-virus engines match it so). Whoever uploads it is checking
 * whether uploads are scanned for malware.
 */
export function eicar(bytes: Uint8Array, where: string): ActiveHit | undefined {
  if (bytes.length < EICAR.length || bytes.length > 128) return undefined;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!buf.subarray(0, EICAR.length).equals(EICAR)) return undefined;
  if (!/^\s*$/.test(buf.toString('latin1', EICAR.length))) return undefined;
  return { kind: 'eicar', where, sample: 'the EICAR anti-virus test file' };
}

const ZIP_END = Buffer.from('PK\x05\x06', 'latin1');

/**
 * A zip's end record at the end of `bytes` (which end the file), as a sample; undefined without
 * one. The record must fit what follows it exactly (its comment length) and count entries a
 * central directory of its stated size can hold: a chance `PK\x05\x06` in image data does not. Zip readers (Java's, PHP's
 * phar:// wrapper, unzip) find an archive by this record, so an image or PDF that ends with one
 * opens as an archive too.
 */
export function appendedZip(bytes: Uint8Array): string | undefined {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = buf.lastIndexOf(ZIP_END); at >= 0; at = at > 0 ? buf.lastIndexOf(ZIP_END, at - 1) : -1) {
    if (at + 22 > buf.length) continue;
    const entries = buf.readUInt16LE(at + 10);
    const directoryBytes = buf.readUInt32LE(at + 12);
    const commentBytes = buf.readUInt16LE(at + 20);
    if (at + 22 + commentBytes === buf.length && entries > 0 && directoryBytes >= 46 * entries)
      return `a zip archive of ${entries} ${entries === 1 ? 'entry' : 'entries'} ends the file`;
  }
  return undefined;
}

/**
 * OLE object classes RTF exploits embed: the Equation Editor (CVE-2017-11882, CVE-2018-0802), an
 * OLE package (a file that runs when clicked), an HTML file, a scriptlet.
 */
const RTF_EXPLOIT_CLASS = /^(?:equation\.[23]|microsoft equation.*|package|htmlfile|scriptlet)$/i;

/** The Equation Editor's CLSID as stored in a compound file: what obfuscated samples keep. */
const EQUATION_CLSID = Buffer.from('02ce020000000000c000000000000046', 'hex').toString('latin1');

/** Hex digits of an RTF object's data read after `\objdata` (split by whitespace or not). */
const OBJDATA_HEX_CHARS = 64 * 1024;

/** Objects looked into per document: each costs a read of its data, and a file can hold thousands. */
const OBJDATA_LOOKS = 32;

/**
 * An embedded OLE object in RTF text of the kind exploits use: a class of RTF_EXPLOIT_CLASS (by
 * `\objclass`, or the class name in the object's own header in `\objdata`), the Equation
 * Editor's CLSID in its data, a URL moniker (OLE2Link with an http URL: CVE-2017-0199), or any
 * object set to update itself when the document opens (`\objupdate`, `\objautlink`), which runs
 * it without a click.
 */
export function rtfObject(text: string): ActiveHit | undefined {
  if (!/\\object\b/i.test(text)) return undefined;
  const found = (sample: string): ActiveHit => ({ kind: 'rtf-object', where: 'body', sample });
  const declared = /\\objclass\s+([^}\\]*)/i.exec(text)?.[1]?.trim();
  if (declared && RTF_EXPLOIT_CLASS.test(declared)) return found(`\\objclass ${declared.slice(0, 40)}`);
  let looks = 0;
  for (const data of text.matchAll(/\\objdata\b/gi)) {
    if (++looks > OBJDATA_LOOKS) break;
    const hex = text
      .slice(data.index + 8, data.index + 8 + 4 * OBJDATA_HEX_CHARS)
      .replace(/[^0-9a-f]/gi, '')
      .slice(0, OBJDATA_HEX_CHARS);
    const bytes = Buffer.from(hex.length % 2 ? hex.slice(0, -1) : hex, 'hex');
    // An OLE1 object: version, format, then the class name's length and the name itself.
    const nameBytes = bytes.length >= 12 ? bytes.readUInt32LE(8) : 0;
    const name =
      nameBytes > 0 && nameBytes < 256
        ? bytes.toString('latin1', 12, 12 + nameBytes).replace(/\0.*$/s, '')
        : '';
    if (RTF_EXPLOIT_CLASS.test(name)) return found(`\\objdata of class ${name}`);
    const data8 = bytes.toString('latin1');
    if (data8.includes(EQUATION_CLSID)) return found('\\objdata holding the Equation Editor (its CLSID)');
    if (data8.includes('OLE2Link') && /h\0?t\0?t\0?p\0?s?\0?:/i.test(data8))
      return found('\\objdata holding a URL moniker (OLE2Link to http)');
  }
  const auto = /\\obj(?:update|autlink)\b/i.exec(text);
  return auto ? found(`an object with ${auto[0]}: it updates itself when the document opens`) : undefined;
}

/** An element name, with or without a namespace prefix (`<a:script xmlns:a="…xhtml">` runs too). */
const NS = '(?:[a-z][\\w.-]*:)?';

/**
 * A reference that makes a renderer or converter fetch or read something: a resource load over
 * the web (`<image href>`, `<use href>`, `@import`, `url()`; a navigation link `<a href>` fetches
 * nothing), or any reference through a scheme that reads files or runs code in converters
 * (`file:`, `expect:`, ImageMagick's `text:`, `msl:`, `ephemeral:` …).
 */
const EXTERNAL_REF = new RegExp(
  [
    `<${NS}(?:image|use|feImage|script|iframe|embed|object|img|link|audio|video|source|tref|track)\\b[^>]*?\\s(?:xlink:)?(?:href|src)\\s*=\\s*["']?\\s*(?:https?:|//|ftp:)`,
    `@import\\s+(?:url\\()?["']?\\s*(?:https?:|//)`,
    `url\\(\\s*["']?\\s*(?:https?:|//|file:)`,
  ].join('|'),
  'i',
);

/**
 * References that are followed in any XML document, rendered or not: schemes through which
 * converters read files or run code, and a stylesheet processing instruction (the viewer fetches
 * and applies it; XSLT can write script).
 */
const ANY_XML_EXTERNAL_REF = new RegExp(
  [
    `(?:href|src)\\s*=\\s*["']?\\s*(?:file|expect|text|msl|ephemeral|label|vid|caption|mvg|fd|gopher|jar|php|phar|dict|ldap):`,
    `<\\?xml-stylesheet\\b[^>]*?\\shref\\s*=\\s*["']?\\s*(?:https?:|//|file:)`,
  ].join('|'),
  'i',
);

/**
 * The namespaces whose elements a browser renders, and runs script in, inside an XML document of
 * any other vocabulary. Without one, an Atom feed's `<link href="https://…">`, a GPX track's
 * link or a devhelp book's `online="…"` attribute are data: nothing loads, nothing runs.
 */
const RENDERED_NAMESPACE =
  /\bxmlns(?::[\w.-]+)?\s*=\s*["']\s*http:\/\/www\.w3\.org\/(?:2000\/svg|1999\/xhtml)\s*["']/i;

/**
 * Attributes a browser follows as a URL, or (SVG animation: from, to, values) sets one to. The
 * value is quoted either way or bare; `values` is a `;`-separated list.
 */
const URL_ATTRIBUTE =
  /[\s/](?:xlink:)?(?:href|src|from|to|values|action|formaction)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/gi;

/** Schemes that run script where the document is opened. */
const SCRIPT_URL = /^(?:javascript|vbscript|livescript):|^data:(?:text\/html|application\/xhtml\+xml)[;,]/;

/** Named references decoded: XML's five, and those the filter-evasion lists spell schemes with. */
const NAMED_REFERENCES: Record<string, string> = {
  colon: ':',
  tab: '\t',
  newline: '\n',
  amp: '&',
  quot: '"',
  apos: "'",
  lt: '<',
  gt: '>',
  sol: '/',
  lpar: '(',
  rpar: ')',
  period: '.',
};

/**
 * Character references decoded, as a browser decodes them (`&#x61;`, `&#106;`, `&colon;`, and
 * HTML also without the semicolon); one that names nothing stays as written.
 */
export function decodeReferences(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(
    /&(?:#x([0-9a-f]+)|#(\d+)|([a-z]+));?/gi,
    (whole, hex?: string, dec?: string, name?: string) => {
      if (name !== undefined) return NAMED_REFERENCES[name.toLowerCase()] ?? whole;
      const code = hex !== undefined ? Number.parseInt(hex, 16) : Number(dec);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '\ufffd';
    },
  );
}

/**
 * A URL attribute's value as a browser follows it: character references decoded, ASCII tab and
 * newline removed wherever they are (`java&#9;script:`), leading and trailing controls and
 * spaces trimmed. Filters that match `javascript:` on the raw text miss every one of these.
 */
function followedUrl(value: string): string {
  return decodeReferences(value)
    .replace(/[\t\n\r]/g, '')
    .replace(EDGE_CONTROLS, '');
}

/** What the URL parser trims from both ends of a URL: C0 controls and spaces. */
const EDGE_CONTROLS = /^[\x00-\x20]+|[\x00-\x20]+$/g;

/** How much of a data: URL's payload is decoded to look inside. */
const DATA_URL_CHARS = 256 * 1024;

/** The document a `data:image/svg+xml` URL holds, decoded; undefined for any other URL. */
function embeddedSvg(url: string): string | undefined {
  const comma = url.indexOf(',');
  const meta = url.slice(0, comma).toLowerCase();
  if (comma < 0 || !meta.startsWith('data:image/svg+xml')) return undefined;
  const payload = url.slice(comma + 1, comma + 1 + DATA_URL_CHARS);
  if (meta.endsWith(';base64')) return Buffer.from(payload, 'base64').toString('utf8');
  try {
    return decodeURIComponent(payload);
  } catch {
    return payload;
  }
}

/**
 * Where the markup has a URL attribute that runs script when followed, or -1: a script scheme,
 * or an SVG document in a data: URL (`<use href="data:image/svg+xml;base64,…">`) that itself
 * runs script, looked into two levels deep.
 */
function scriptUrlAt(text: string, depth = 0): number {
  for (const match of text.matchAll(URL_ATTRIBUTE)) {
    const url = followedUrl(match[1] ?? match[2] ?? match[3] ?? '');
    const lower = url.toLowerCase();
    // Whole (a data: URL's own parameters hold `;`), or any item of an animation's values list.
    const items = lower.split(';').map((item) => item.replace(EDGE_CONTROLS, ''));
    if (SCRIPT_URL.test(lower) || items.some((item) => SCRIPT_URL.test(item))) return match.index + 1;
    const inner = depth < 2 ? embeddedSvg(url) : undefined;
    if (inner !== undefined && runsScript(inner, depth + 1)) return match.index + 1;
  }
  return -1;
}

/** Whether markup runs script by any of the SVG script checks. */
function runsScript(text: string, depth: number): boolean {
  return (
    SCRIPT_ELEMENT.test(text) ||
    EVENT_HANDLER.test(text) ||
    FOREIGN_OBJECT.test(text) ||
    scriptUrlAt(text, depth) >= 0
  );
}

const SCRIPT_ELEMENT = new RegExp(`<${NS}script[\\s>/]`, 'i');
// An event handler attribute, after a space or (HTML's parser reads `<svg/onload=…>`) a slash
// right after the element's name.
const EVENT_HANDLER = /<[a-z][^>]*\son[a-z]+\s*=|<[a-z][\w:.-]*\/on[a-z]+\s*=/i;
const FOREIGN_OBJECT = new RegExp(`<${NS}foreignObject[\\s>/]`, 'i');
/**
 * An animation that sets an event handler (`<set attributeName="onmouseover" to="alert(1)">`),
 * or SVG Tiny's `<handler>` element: a script attached without an `on…` attribute written.
 */
const ANIMATED_HANDLER = new RegExp(
  `<${NS}(?:set|animate)\\b[^>]*\\battributeName\\s*=\\s*["']?\\s*on[a-z]+|<${NS}handler[\\s>/]`,
  'i',
);

/** The checks of an SVG, or XML in a rendered namespace; plain XML gets only those marked `any`. */
const MARKUP_CHECKS: [ActiveKind, RegExp | ((text: string) => number), 'any'?][] = [
  ['svg-script', SCRIPT_ELEMENT],
  ['svg-handler', EVENT_HANDLER],
  ['svg-handler', ANIMATED_HANDLER],
  ['svg-javascript-url', (text) => scriptUrlAt(text)],
  ['svg-foreign-object', FOREIGN_OBJECT],
  ['svg-external-ref', EXTERNAL_REF],
  ['svg-external-ref', ANY_XML_EXTERNAL_REF, 'any'],
];

/** Past this many bytes of entity expansion a document is a bomb: real documents expand to kilobytes. */
const EXPANSION_LIMIT = 16 * 1024 * 1024;

const INTERNAL_ENTITY = /<!ENTITY\s+([\w.:-]+)\s+(?:"([^"]*)"|'([^']*)')\s*>/g;
const ENTITY_REFERENCE = /&([\w.:-]+);/g;

/**
 * What each entity expands to, capped past EXPANSION_LIMIT: its value's length, less each
 * reference, plus what that reference expands to. Depth first with a stack of its own (a chain of
 * thousands of entities would overflow the call stack); a reference loop expands to nothing here
 * (parsers refuse it).
 */
function expandedSizes(values: ReadonlyMap<string, string>): Map<string, number> {
  const sizes = new Map<string, number>();
  const refsOf = (name: string): string[] =>
    [...(values.get(name) ?? '').matchAll(ENTITY_REFERENCE)].map((ref) => ref[1]!);
  for (const root of values.keys()) {
    if (sizes.has(root)) continue;
    const stack: Array<{ name: string; refs: string[]; next: number }> = [];
    const visiting = new Set<string>();
    const enter = (name: string): void => {
      visiting.add(name);
      stack.push({ name, refs: refsOf(name), next: 0 });
    };
    enter(root);
    while (stack.length > 0) {
      const top = stack.at(-1)!;
      const ref = top.refs[top.next];
      if (ref !== undefined && values.has(ref) && !sizes.has(ref) && !visiting.has(ref)) {
        enter(ref);
        continue;
      }
      if (ref !== undefined) {
        top.next++;
        continue;
      }
      // Every reference of `top` is sized (or unknown, or a loop): size it.
      let size = values.get(top.name)!.length;
      for (const r of top.refs)
        size = Math.min(size + (sizes.get(r) ?? 0) - r.length - 2, EXPANSION_LIMIT + 1);
      sizes.set(top.name, Math.max(size, 0));
      visiting.delete(top.name);
      stack.pop();
    }
  }
  return sizes;
}

/**
 * What the entities a document references expand to, when a parser expands them: nested (the
 * billion laughs: ten entities of ten references each make 10^9 copies) or repeated (one large
 * entity referenced many times, the quadratic blowup). A hit past EXPANSION_LIMIT.
 */
export function entityExpansion(text: string, where: string): ActiveHit | undefined {
  const subset = /<!DOCTYPE[^>[]*\[/i.exec(text);
  if (!subset) return undefined;
  const end = text.indexOf(']', subset.index + subset[0].length);
  const declarations = text.slice(subset.index, end < 0 ? undefined : end);
  const values = new Map<string, string>();
  for (const match of declarations.matchAll(INTERNAL_ENTITY))
    if (!values.has(match[1]!)) values.set(match[1]!, match[2] ?? match[3] ?? '');
  if (values.size === 0) return undefined;
  const sizes = expandedSizes(values);
  let total = 0;
  for (const ref of text.slice(end < 0 ? text.length : end).matchAll(ENTITY_REFERENCE)) {
    total += sizes.get(ref[1]!) ?? 0;
    if (total > EXPANSION_LIMIT)
      return { kind: 'entity-expansion', where, sample: `&${ref[1]}; and the rest expand past 16 MiB` };
  }
  return undefined;
}

const XXE = /<!DOCTYPE[^>[]*\[[\s\S]*?<!ENTITY\s+(?:%\s*)?[\w.-]+\s+(?:SYSTEM|PUBLIC)\s/i;
/**
 * A DTD loaded from a URL by its system identifier alone (`<!DOCTYPE x SYSTEM "http://…/e.dtd">`):
 * a parser that loads DTDs fetches it, and what it declares (parameter entities that read a file
 * and send it on) is the attacker's: out-of-band XXE. Standard DTDs are named PUBLIC, by an
 * identifier catalogs resolve (`-//W3C//DTD SVG 1.1//EN`); those are not matched.
 */
const REMOTE_DTD =
  /<!DOCTYPE\s+[\w:.-]+\s+SYSTEM\s+["']\s*(?:https?|ftps?|file|jar|netdoc|gopher|php|expect|data):/i;

/**
 * An external entity declared in XML text (`<!ENTITY x SYSTEM "file:///etc/passwd">`), or a DTD
 * loaded from a URL by its system identifier alone.
 */
export const externalEntity = (text: string, where: string): ActiveHit | undefined =>
  firstHit('xxe', XXE, text, where) ?? firstHit('xxe', REMOTE_DTD, text, where);

/**
 * XML that a server turns into objects and calls, naming a class that starts a process: a Jetty
 * context file dropped where Jetty deploys (`<Call class="java.lang.Runtime" name="getRuntime">`),
 * a Spring bean file or a Java XMLDecoder document (`class="java.lang.ProcessBuilder"`), XAML read
 * by XamlReader or served as a .xamlx workflow (`ObjectType="{x:Type d:Process}"`, the
 * System.Diagnostics namespace, `Process.Start(`). Configuration that only sets values names none
 * of these.
 */
const PROCESS_IN_XML = new RegExp(
  [
    String.raw`\b(?:class|type|ObjectType|factory-class)\s*=\s*["']\s*(?:java\.lang\.(?:Runtime|ProcessBuilder)|javax\.script\.ScriptEngineManager|groovy\.lang\.GroovyShell|System\.Diagnostics\.Process)\b`,
    String.raw`\{x:Type\s+[\w.-]+:Process\}`,
    String.raw`clr-namespace:System\.Diagnostics\b`,
    String.raw`\bProcess\.Start\s*\(`,
  ].join('|'),
);

/** Scripts, handlers, external references and external entities in an SVG or XML document. */
export function scanMarkup(text: string, kind: 'svg' | 'xml' | 'html'): ActiveHit[] {
  const hits: ActiveHit[] = [];
  if (kind === 'html') {
    hits.push({ kind: 'html', where: 'body', sample: sample(text, Math.max(0, text.search(/</))) });
  } else {
    const rendered = kind === 'svg' || RENDERED_NAMESPACE.test(text);
    for (const [hitKind, check, applies] of MARKUP_CHECKS) {
      if (!rendered && applies !== 'any') continue;
      if (hits.some((hit) => hit.kind === hitKind)) continue;
      if (check instanceof RegExp) {
        const hit = firstHit(hitKind, check, text, 'body');
        if (hit) hits.push(hit);
        continue;
      }
      const at = check(text);
      if (at >= 0) hits.push({ kind: hitKind, where: 'body', sample: sample(text, at) });
    }
  }
  if (kind !== 'html') {
    const xslt = firstHit(
      'xslt',
      /<(?:[a-z][\w.-]*:)?(?:stylesheet|transform)\b[^>]*XSL\/Transform/i,
      text,
      'body',
    );
    if (xslt) hits.push(xslt);
  }
  const xxe = externalEntity(text, 'body');
  if (xxe) hits.push(xxe);
  const bomb = kind === 'html' ? undefined : entityExpansion(text, 'body');
  if (bomb) hits.push(bomb);
  const code =
    SERVER_CODE.map((p) => firstHit('server-code', p, text, 'body')).find(Boolean) ??
    (kind === 'html' ? undefined : firstHit('server-code', PROCESS_IN_XML, text, 'body'));
  if (code) hits.push(code);
  return hits;
}

/**
 * A cell that starts a formula (=, +, -, @, after a delimiter or quote) calling what runs a
 * command, a DDE link or a fetch: `=cmd|' /C calc'!A0`, `@SUM(1+1)*cmd|...`, `=HYPERLINK(...)`.
 * Plain arithmetic (`=2+3`), negative numbers and @mentions are not formulas that run anything.
 */
const CSV_FORMULA = new RegExp(
  [
    // =, +, - or @ starting a formula that pipes to a program or calls a fetching/linking function
    `(?:^|[\\n\\r,;\\t])[ "']*[=+\\-@][^\\n\\r,;\\t]{0,80}?(?:\\b(?:cmd|powershell|pwsh|mshta|rundll32|msiexec)\\s*\\||\\b(?:hyperlink|dde|ddeauto|importxml|importdata|importhtml|importrange|webservice|filterxml|call|register)\\s*\\()`,
    // @FUNCTION( at a cell start: the formula prefix filters that look for = miss
    `(?:^|[\\n\\r,;\\t])[ "']*@[a-z]+\\s*\\(`,
  ].join('|'),
  'im',
);

/** Spreadsheet formulas that run commands or fetch, in text a spreadsheet would open (CSV, TSV). */
export function scanCsv(bytes: Uint8Array, where: string): ActiveHit[] {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const hit = firstHit('csv-formula', CSV_FORMULA, text, where);
  return hit ? [hit] : [];
}

/**
 * Office macro storage, by entry path: vbaProject.bin in OOXML, an Excel 4.0 (XLM) macro sheet
 * (xl/macrosheets/, its international form too; in .xlsm and .xlsb), Basic/ and Scripts/ in ODF.
 */
export function isMacroEntry(path: string): boolean {
  return (
    /(?:^|\/)vbaProject\.bin$/i.test(path) ||
    /^xl\/(?:intl)?macrosheets\/[^/]+\.(?:xml|bin)$/i.test(path) ||
    /^(?:Basic|Scripts)\/.+/.test(path)
  );
}
