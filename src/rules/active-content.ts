import {
  type ActiveHit,
  type ActiveKind,
  FILE_PLACES,
  type FindingDraft,
  type InspectedFile,
} from '../model/types.js';
import type { Rule } from './define.js';
import { defineRule } from './define.js';

type HitMeta = Omit<Rule, 'check' | 'category' | 'kinds' | 'messages'> & {
  message: string;
  kinds: readonly ActiveKind[];
};

const drafts = (file: InspectedFile, kinds: readonly ActiveKind[]): ActiveHit[] =>
  (file.active ?? []).filter((h) => kinds.includes(h.kind));

/** One finding per place the hit kinds were found (an archive entry is its own place). */
function hitRule({ message, kinds, ...meta }: HitMeta): Rule {
  return defineRule({
    ...meta,
    category: 'active-content',
    kinds: ['file'],
    needs: 'active',
    messages: { hit: message },
    check(file) {
      const byPlace = new Map<string, ActiveHit[]>();
      for (const hit of drafts(file, kinds)) byPlace.set(hit.where, [...(byPlace.get(hit.where) ?? []), hit]);
      return [...byPlace].map(([where, hits]): FindingDraft => {
        const inArchive = !FILE_PLACES.has(where);
        const draft: FindingDraft = {
          messageId: 'hit',
          evidence: {
            found: hits.map((h) => h.kind).join(', '),
            where: inArchive ? 'archive entry' : where,
            sample: hits[0]!.sample,
            detectedType: file.detected?.mime ?? 'unknown',
          },
        };
        if (inArchive) draft.innerPath = where;
        return draft;
      });
    },
  });
}

export const polyglotRule = hitRule({
  id: 'active-content/server-code',
  defaultSeverity: 'critical',
  description:
    'PHP, ASP or JSP code inside a file of another type: a comment of a GIF, a JPEG COM segment, bytes appended after the image, an SVG.',
  rationale:
    'A valid image that is also PHP passes every signature check; one include() or a handler mapping later it runs on the server. This is the classic image web shell.',
  fix: 'Quarantine the file; re-encode accepted images server-side so no foreign bytes survive.',
  kinds: ['server-code'],
  message: 'server-side code in the {where} of this {detectedType} file: {sample}',
});

export const htmlRule = hitRule({
  id: 'active-content/html',
  defaultSeverity: 'high',
  description: 'An HTML document, or script/HTML markup in the head or tail of a binary file.',
  rationale:
    'HTML served from the upload origin runs with that origin’s cookies and permissions: stored cross-site scripting. Appended HTML turns an image into a page for browsers that sniff.',
  fix: 'Remove it, or serve uploads from a separate domain with Content-Disposition: attachment and X-Content-Type-Options: nosniff.',
  kinds: ['html'],
  message: 'HTML or script in the {where}: {sample}',
});

export const svgScriptRule = hitRule({
  id: 'active-content/svg-script',
  defaultSeverity: 'high',
  description: 'SVG (or XML) with <script>, on* event handlers, javascript: URLs or <foreignObject>.',
  rationale:
    'SVG is a document format that runs script when opened directly: an avatar.svg with onload is stored XSS on your origin.',
  fix: 'Remove it or sanitize SVG uploads (strip scripts, handlers and foreignObject), or rasterize them.',
  kinds: ['svg-script', 'svg-handler', 'svg-javascript-url', 'svg-foreign-object'],
  message: 'the markup runs script ({found}): {sample}',
});

export const externalRefRule = hitRule({
  id: 'active-content/external-reference',
  defaultSeverity: 'medium',
  description:
    'SVG (or XML) that loads external resources: href or url() to http(s), file: or protocol-relative URLs.',
  rationale:
    'External references leak the viewer’s IP and referrer to a third party, track who opens the file, and pull in content the upload check never saw.',
  fix: 'Sanitize SVG uploads to drop external references, or rasterize them.',
  kinds: ['svg-external-ref'],
  message: 'the markup loads an external resource: {sample}',
});

export const xxeRule = hitRule({
  id: 'active-content/xxe',
  defaultSeverity: 'high',
  description:
    'XML (SVG included) whose DOCTYPE declares external entities (SYSTEM or PUBLIC), or loads its DTD from a URL by a system identifier alone.',
  rationale:
    "Any server-side parser that resolves entities (thumbnailers, converters, importers) reads local files or makes requests for the attacker: XXE. A DTD fetched from the attacker's URL declares what the parser then does (out-of-band XXE); standard DTDs named by a public identifier are not flagged.",
  fix: 'Quarantine the file; parse uploads with entity resolution disabled.',
  kinds: ['xxe'],
  message: 'the DOCTYPE declares an external entity: {sample}',
});

export const pdfActionRule = hitRule({
  id: 'active-content/pdf-action',
  defaultSeverity: 'high',
  description:
    'A PDF with JavaScript (/JavaScript, /JS), /Launch, a RichMedia annotation (Flash played in the document), or an /OpenAction or /AA that runs an action, including inside compressed object streams.',
  rationale:
    'PDF JavaScript and launch actions run when the document opens: the delivery step of many phishing and exploit chains.',
  fix: 'Quarantine the file, or flatten PDFs (re-render to images or a sanitized PDF) on upload.',
  kinds: ['pdf-javascript', 'pdf-launch', 'pdf-open-action', 'pdf-rich-media'],
  message: 'the PDF runs actions when opened ({found}) in its {where}: {sample}',
});

export const pdfAttachmentRule = hitRule({
  id: 'active-content/pdf-attachment',
  defaultSeverity: 'medium',
  description: 'A PDF with embedded files (/EmbeddedFile).',
  rationale: 'Attachments inside a PDF carry files past upload filters that only look at the outer type.',
  fix: 'Review the attachment; strip attachments on upload if documents should not carry files.',
  kinds: ['pdf-embedded-file'],
  message: 'the PDF carries embedded files: {sample}',
});

export const macroRule = hitRule({
  id: 'active-content/macro',
  defaultSeverity: 'high',
  description:
    'An Office document with macros: vbaProject.bin in OOXML (docm, xlsm …), a VBA project storage in a legacy OLE2 file (.doc Macros/VBA, .xls _VBA_PROJECT_CUR), an Excel 4.0 macro sheet (xl/macrosheets/, or declared in an .xls), Basic/ or Scripts/ storage in ODF.',
  rationale:
    'Macros are code that runs in the reader’s Office with their rights, the most common malware delivery in documents.',
  fix: 'Quarantine the file; accept only macro-free formats, or strip macros on upload.',
  kinds: ['macro'],
  message: 'the document holds macro code ({sample})',
});

export const incompleteRule = defineRule({
  id: 'active-content/incomplete',
  category: 'active-content',
  defaultSeverity: 'low',
  description:
    'Content scanning stopped at a read bound (maxMarkupBytes, maxPdfBytes, maxInflateBytes), or met an archive format it does not open (7z, RAR, bzip2, zstd …): part of the file was not looked at.',
  rationale:
    'A bound keeps a hostile file from exhausting the auditor, but what was not read was not checked: this says so instead of passing it silently.',
  fix: 'Look at the file yourself, or raise the bound in the policy (bounds.*) for a deeper scan.',
  kinds: ['file'],
  needs: 'incomplete',
  messages: { limit: 'not fully scanned: {limit} ({detail})' },
  check(file) {
    // An archive's listing bounds are archive/unreadable's; the markup inside a gzip (.svgz) is ours.
    const hits = (file.incomplete ?? []).filter((hit) => !file.archive || hit.limit === 'maxMarkupBytes');
    return hits.map((hit) => ({
      messageId: 'limit',
      evidence: { limit: hit.limit, detail: hit.detail },
    }));
  },
});

export const csvFormulaRule = hitRule({
  id: 'active-content/csv-formula',
  defaultSeverity: 'medium',
  description:
    'A CSV or TSV cell that starts a formula running a command, a DDE link or a fetch (=cmd|, @SUM(…)*cmd|, =HYPERLINK(, =IMPORTXML(…).',
  rationale:
    'Whoever opens the export in a spreadsheet runs it: a command on their machine (DDE), or their data sent out through a link or an import function (CSV injection).',
  fix: 'Quarantine the file; make the handler (and every export) prefix cells starting with = + - @ with a quote.',
  kinds: ['csv-formula'],
  message: 'a cell starts a formula that runs or fetches something ({sample})',
});

export const officeExternalRule = hitRule({
  id: 'active-content/office-remote',
  defaultSeverity: 'high',
  description:
    'An Office document whose relationships load a template, OLE object, frame or sub-document from another machine when it opens, or link with a scheme that runs something (ms-msdt:, mhtml:), to a share on another machine (UNC, file://host) or to a program on the reader’s disk.',
  rationale:
    'Remote-template injection delivers macros from the attacker’s server to a document that holds none; ms-msdt: and mhtml: links ran code on opening (Follina, CVE-2022-30190); UNC and file://host targets leak NTLM hashes. A template on the author’s own disk (file:///C:/…), which Word writes into documents made from a local template, loads nothing from outside and is not flagged.',
  fix: 'Quarantine the file; strip external relationships from Office uploads, or convert them.',
  kinds: ['office-external'],
  message: 'the document loads or runs something from outside when opened: {sample}',
});

export const officeDdeRule = hitRule({
  id: 'active-content/office-dde',
  defaultSeverity: 'high',
  description:
    'An Office document with a DDE call: a DDE or DDEAUTO field in Word (its code split across runs or spelled by QUOTE fields included), a ddeLink in an Excel external link, or a formula of the form app|topic!item.',
  rationale:
    'Dynamic Data Exchange runs a program when the document opens or updates its links (one prompt that users click through): the macro-less maldoc of the 2017 campaigns and after, which macro blockers do not stop.',
  fix: 'Quarantine the file; strip fields and external links from Office uploads, or convert them.',
  kinds: ['office-dde'],
  message: 'the document runs a command through DDE when opened: {sample}',
});

export const appendedArchiveRule = hitRule({
  id: 'active-content/appended-archive',
  defaultSeverity: 'high',
  description:
    'An image or PDF that ends with a zip archive (a GIFAR, a JPEG+PHAR or PDF+JAR polyglot): it passes as the one and opens as the other.',
  rationale:
    'Zip readers find an archive by its end record, wherever it starts: PHP’s phar:// wrapper opens an uploaded avatar.jpg as a PHAR and unserializes its metadata (object injection, often code execution), Java loads a GIFAR as an applet or JAR, and the files inside were never checked by the upload filter.',
  fix: 'Quarantine the file; re-encode accepted images server-side, which drops everything after the image data.',
  kinds: ['appended-archive'],
  message: 'this {detectedType} is also a zip: {sample}',
});

export const entityExpansionRule = hitRule({
  id: 'active-content/entity-expansion',
  defaultSeverity: 'high',
  description:
    'XML (an SVG, an XML file, an XML part of an Office or ODF file) whose internal entities expand past 16 MiB when parsed: the billion laughs, the quadratic blowup.',
  rationale:
    'A parser that expands entities allocates the whole expansion: a 1 KB upload takes gigabytes, and the thumbnailer, previewer or import job that parses it goes down with its host (CWE-776).',
  fix: 'Quarantine the file; parse uploaded XML with entity expansion off or bounded (defusedxml, libxml2’s limits, a parser with DTDs disabled).',
  kinds: ['entity-expansion'],
  message: 'the XML’s entities expand past 16 MiB when parsed: {sample}',
});

export const rtfObjectRule = hitRule({
  id: 'active-content/rtf-object',
  defaultSeverity: 'high',
  description:
    'An RTF document (whatever its extension: RTF named .doc is the classic) embedding an OLE object of a class exploits use (Equation Editor, OLE2Link URL moniker, script moniker, Package, htmlfile), or any object set to update itself when the document opens (\\objupdate, \\objautlink).',
  rationale:
    'RTF is how Office exploits travel: the Equation Editor overflow (CVE-2017-11882, CVE-2018-0802) and the URL moniker that fetches and runs an HTA (CVE-2017-0199) ran code on opening, and an object that updates itself runs without a click. Macro blockers do not see them.',
  fix: 'Quarantine the file; convert RTF uploads (or refuse them), and strip embedded objects.',
  kinds: ['rtf-object'],
  message: 'the RTF embeds an object that exploits use: {sample}',
});

export const eicarRule = hitRule({
  id: 'active-content/eicar',
  defaultSeverity: 'medium',
  description:
    'The EICAR anti-virus test file (its 68 characters, followed by whitespace at most), on its own or inside an archive.',
  rationale:
    'It is harmless by design, and every malware scanner reports it: an upload of it is someone checking whether uploads are scanned, the usual step before uploading real malware. A stored one also says the upload path was not scanned.',
  fix: 'Find who uploaded it and what they uploaded next; if uploads are meant to be scanned for malware, find why this one was not.',
  kinds: ['eicar'],
  message: 'an upload probe: {sample}',
});

export const xsltRule = hitRule({
  id: 'active-content/xslt',
  defaultSeverity: 'high',
  description: 'An XSLT stylesheet (an XML document in the XSL Transform namespace), whatever its extension.',
  rationale:
    'A service that applies uploaded stylesheets runs them: XSLT processors call out to the host language (php:function, msxsl:script, Java extensions) and read files (document()).',
  fix: 'Quarantine the file; never apply stylesheets from uploads, or disable extension functions and document().',
  kinds: ['xslt'],
  message: 'the XML is an XSLT stylesheet ({sample})',
});

export const imageScriptRule = hitRule({
  id: 'active-content/image-script',
  defaultSeverity: 'high',
  description:
    'An ImageMagick drawing script (MVG: push graphic-context, viewbox) or scripting file (MSL: an <image> that reads or writes files), whatever its name; PostScript or EPS under an image’s name, or under any name when it runs a command through Ghostscript (%pipe%, a piped /OutputFile, .forceput); or a PNG whose text chunk keyed profile names a file (CVE-2022-44268).',
  rationale:
    'ImageMagick recognizes these by content, so a thumbnailer handed "avatar.png" runs it: MVG fetches URLs and reads files through text:, ephemeral: and url() (ImageTragick, CVE-2016-3714 and its file read and delete variants); MSL reads and writes arbitrary files (a web shell written into the web root); PostScript goes to Ghostscript, a programming language whose sandbox escapes ran commands through %pipe% (CVE-2018-16509, CVE-2023-36664 and more); a PNG `profile` text chunk makes it embed the file it names (/etc/passwd) in the thumbnail it writes.',
  fix: 'Quarantine the file; make the handler accept images by their signature only, and disable the MVG, MSL, TEXT, URL, PS and EPS coders in ImageMagick’s policy.xml.',
  kinds: ['image-script'],
  message: 'ImageMagick acts on what this {detectedType} holds: {sample}',
});
