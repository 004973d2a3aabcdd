/**
 * What we know about extensions and content types: which extensions run on a server or a client,
 * which class (image, document, archive) an extension belongs to for size limits, and which
 * detected content types an extension may legitimately hold.
 */

const TYPE_CLASSES = ['image', 'document', 'archive', 'other'] as const;
export type TypeClass = (typeof TYPE_CLASSES)[number];

const set = (words: string): ReadonlySet<string> => new Set(words.split(/\s+/).filter(Boolean));

/**
 * Extensions a web server may execute (PHP, ASP, JSP, CGI, SSI families). IIS with .NET's workflow
 * activation runs a .xamlx service, whose expressions are VB or C# (Process.Start included).
 */
export const SERVER_SCRIPT_EXTENSIONS = set(`
  php php2 php3 php4 php5 php6 php7 php8 phtml phtm pht phpt phar phps pgif hphp ctp shtml shtm stm inc
  asp aspx asa cer cdx ashx asmx ascx axd aspq cshtml cshtm vbhtml vbhtm svc rem soap xamlx
  jsp jspx jsw jsv jspf jhtml wss
  cfm cfml cfc dbm
  cgi fcgi pl pm py pyc rb sh bash csh ksh zsh yaws
`);

/**
 * Extensions that run on a client or an operator's machine, or launch something when opened:
 * programs and installers, Windows script hosts and scriptlets, PowerShell's, shortcuts and
 * launchers (.lnk, .url, .desktop, ClickOnce, a Windows Sandbox configuration), Excel add-ins
 * and data connections that run or fetch on open (.xll, .iqy, .slk), help files that run script
 * (.chm), and the disk images Windows mounts on a double-click, whose contents then run without
 * the mark of the web (.iso, .img, .vhd, .vhdx), and Flash movies (.swf: embedded from another
 * site, one served by this origin runs with its rights, and Ruffle still plays them in today's
 * browsers). Most are on Outlook's list of blocked attachments, where the same risk is judged for
 * files from strangers; from it and from the campaigns since: ActiveX controls (.ocx), HTML
 * components (.htc), Internet settings that run commands (.ins, .isp), Access applications
 * (.ade, .adp, .mde, .accde), Windows themes that fetch from a share (.theme, .themepack: NTLM
 * hashes, ThemeBleed), Remote Desktop files that connect out and share the user's drives (.rdp),
 * App Installer files that install a remote package (.appinstaller).
 */
export const EXECUTABLE_EXTENSIONS = set(`
  exe dll scr com bat cmd ps1 psm1 psd1 ps1xml ps2xml psc1 psc2 msh msh1 msh2 mshxml msh1xml msh2xml
  vbs vbe vb js jse wsf wsh ws wsc sct hta htc jar war ear jnlp msi msp mst msu vsto ocx
  apk app elf so appimage dmg pkg deb rpm appx appxbundle msix msixbundle appinstaller xbap pyw pyz pyzw
  lnk url website desktop command application appref-ms settingcontent-ms wsb library-ms searchconnector-ms
  reg cpl gadget msc pif scf shb shs inf ins isp diagcab chm hlp xll iqy slk rdp
  theme themepack deskthemepack ade adp mde accde
  iso img vhd vhdx swf
`);

/** File names that reconfigure the server that serves the folder. */
export const SERVER_CONFIG_NAMES = set(`
  .htaccess .htpasswd .htdigest web.config .user.ini php.ini httpd.conf apache2.conf nginx.conf
  lighttpd.conf uwsgi.ini web.xml
`);

/**
 * Cross-domain policy files: served from an upload folder at the origin's root (or where a
 * client looks), they let other sites' Flash or Silverlight code read this origin's pages.
 */
export const CROSS_DOMAIN_POLICY_NAMES = set('crossdomain.xml clientaccesspolicy.xml');

const IMAGE = set('jpg jpeg jpe jfif png apng gif webp bmp tif tiff ico cur heic heif avif svg psd');
const DOCUMENT = set('pdf doc docx xls xlsx ppt pptx odt ods odp odg rtf txt csv tsv md json xml epub');
const ARCHIVE = set('zip tar gz tgz bz2 tbz2 xz txz 7z rar zst cab');

export function typeClassOf(ext: string | undefined): TypeClass {
  if (ext === undefined) return 'other';
  if (IMAGE.has(ext)) return 'image';
  if (DOCUMENT.has(ext)) return 'document';
  if (ARCHIVE.has(ext)) return 'archive';
  return 'other';
}

/**
 * Binary formats: the extension promises a signature file-type recognizes. The value lists the
 * detected extensions that keep that promise (docx is a zip; a head-only read may say just "zip").
 */
export const BINARY_FORMATS: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  Object.entries({
    jpg: 'jpg',
    jpeg: 'jpg',
    jpe: 'jpg',
    jfif: 'jpg',
    png: 'png apng',
    apng: 'png apng',
    gif: 'gif',
    webp: 'webp',
    bmp: 'bmp',
    tif: 'tif',
    tiff: 'tif',
    ico: 'ico cur',
    cur: 'ico cur',
    heic: 'heic',
    heif: 'heic',
    avif: 'avif',
    psd: 'psd',
    pdf: 'pdf',
    doc: 'cfb doc',
    xls: 'cfb xls',
    ppt: 'cfb ppt',
    docx: 'docx zip',
    xlsx: 'xlsx zip',
    pptx: 'pptx zip',
    odt: 'odt zip',
    ods: 'ods zip',
    odp: 'odp zip',
    epub: 'epub zip',
    zip: 'zip docx xlsx pptx odt ods odp epub jar apk',
    gz: 'gz tar.gz',
    tgz: 'gz tar.gz',
    bz2: 'bz2',
    xz: 'xz',
    '7z': '7z',
    rar: 'rar',
    zst: 'zst',
    tar: 'tar',
    mp3: 'mp3',
    // Phones' 3GP and 3G2 are the same ISO container; players open them as .mp4.
    mp4: 'mp4 m4v m4a mov 3gp 3g2',
    m4a: 'm4a mp4',
    mov: 'mov mp4 qt',
    webm: 'webm mkv',
    wav: 'wav',
    ogg: 'ogg oga opus',
  }).map(([ext, ok]) => [ext, set(ok)]),
);

/** Text formats: any text is fine; what matters is what the text is. */
export const TEXT_FORMATS = set('txt csv tsv md json log svg xml html htm css');

/** What a piece of detected content is, by how dangerous it is to serve or store. */
export type ContentKind =
  | 'executable'
  | 'server-script'
  | 'markup'
  | 'archive'
  | 'image'
  | 'document'
  | 'other';

const EXECUTABLE_CONTENT = set('elf exe dll macho wasm class dex msi lnk swf');
const SERVER_SCRIPT_CONTENT = set('php asp jsp cfm sh shtml');
const MARKUP_CONTENT = set('html svg xml');
const ARCHIVE_CONTENT = set('zip tar tar.gz gz bz2 xz 7z rar zst cab lz lzh arj cpio ar rpm deb');

export function contentKindOf(detectedExt: string): ContentKind {
  if (EXECUTABLE_CONTENT.has(detectedExt)) return 'executable';
  if (SERVER_SCRIPT_CONTENT.has(detectedExt)) return 'server-script';
  if (MARKUP_CONTENT.has(detectedExt)) return 'markup';
  if (ARCHIVE_CONTENT.has(detectedExt)) return 'archive';
  const cls = typeClassOf(detectedExt === 'tif' ? 'tiff' : detectedExt);
  if (cls === 'image') return 'image';
  if (cls === 'document' || detectedExt === 'cfb') return 'document';
  return 'other';
}
