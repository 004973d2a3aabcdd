import { describe, expect, it } from 'vitest';
import { check, facts } from '../test-support/rule-tester.js';
import { RULES } from './index.js';

const rules = RULES.filter((r) => r.category === 'dangerous-extension');
const fired = (name: string): string[] =>
  rules.filter((rule) => check(rule, facts(name)).length > 0).map((rule) => rule.id.split('/')[1]!);

describe('dangerous-extension rules', () => {
  it.each([
    // benign look-alikes
    ['photo.jpg', []],
    ['my.resume.pdf', []],
    ['archive.tar.gz', []],
    ['screenshot-example.com.png', []],
    ['phpinfo-notes.txt', []],
    ['graph.php-style.png', []],
    ['résumé 履歴書.pdf', []],
    ['.gitkeep', []],
    ['notes.md', []],
    ['theme.css', []],
    ['data.tmp', []],
    // server-side scripts of every family, any case
    ['shell.php', ['server-script']],
    ['shell.PhP', ['server-script']],
    ['x.phtml', ['server-script']],
    ['x.pht', ['server-script']],
    ['x.phar', ['server-script']],
    // the rest of the PHP, ASP.NET, JSP and ColdFusion lists upload bypasses try
    ...['phtm', 'phpt', 'hphp', 'ctp', 'ascx', 'wss', 'dbm', 'yaws'].map((ext): [string, string[]] => [
      `x.${ext}`,
      ['server-script'],
    ]),
    ['x.php5', ['server-script']],
    ['x.phps', ['server-script']],
    ['x.asp', ['server-script']],
    ['x.aspx', ['server-script']],
    ['x.asa', ['server-script']],
    ['x.cer', ['server-script']],
    ['x.ashx', ['server-script']],
    ['x.soap', ['server-script']],
    ['shell.xamlx', ['server-script']],
    ['x.fcgi', ['server-script']],
    ['x.jsp', ['server-script']],
    ['x.jspx', ['server-script']],
    ['x.cgi', ['server-script']],
    ['x.pl', ['server-script']],
    ['x.py', ['server-script']],
    ['x.rb', ['server-script']],
    ['x.sh', ['server-script']],
    ['x.shtml', ['server-script']],
    // executables
    ['setup.exe', ['executable']],
    ['x.dll', ['executable']],
    ['x.scr', ['executable']],
    ['x.com', ['executable']],
    ['x.bat', ['executable']],
    ['x.cmd', ['executable']],
    ['x.ps1', ['executable']],
    ['x.vbs', ['executable']],
    ['x.hta', ['executable']],
    // disk images that mount on a double-click, PowerShell's own, a Windows Sandbox configuration
    ...['iso', 'img', 'vhd', 'vhdx', 'psd1', 'ps1xml', 'wsb'].map((ext): [string, string[]] => [
      `x.${ext}`,
      ['executable'],
    ]),
    ['x.jar', ['executable']],
    ['xss.swf', ['executable']],
    // from the campaigns since Outlook's list: ThemeBleed, rogue RDP files, App Installer, Access
    ...['theme', 'themepack', 'rdp', 'appinstaller', 'accde', 'htc', 'ocx', 'isp'].map(
      (ext): [string, string[]] => [`x.${ext}`, ['executable']],
    ),
    ['x.ksh', ['server-script']],
    // Java EE applications (a servlet container deploys them), an Office add-in installer
    ...['war', 'ear', 'vsto'].map((ext): [string, string[]] => [`x.${ext}`, ['executable']]),
    // Explorer opens the remote location they name as soon as their folder is viewed (NTLM leak)
    ['Docs.library-ms', ['executable']],
    ['Search.searchConnector-ms', ['executable']],
    ['x.msi', ['executable']],
    ['x.apk', ['executable']],
    // launchers and files that run or fetch when opened
    ['Invoice.url', ['executable']],
    ['report.iqy', ['executable']],
    ['prices.slk', ['executable']],
    ['addin.xll', ['executable']],
    ['help.chm', ['executable']],
    ['app.application', ['executable']],
    ['run.desktop', ['executable']],
    ['payload.sct', ['executable']],
    ['invoice.pdf.exe', ['executable']],
    // a script extension before the last one
    ['avatar.php.jpg', ['double-extension']],
    ['shell.PHP5.png', ['double-extension']],
    ['x.jsp.gif', ['double-extension']],
    ['x.pl.jpg', ['double-extension']],
    // words, not handlers, before the last extension: a company's Inc., a time of day
    ['Acme.Inc.Invoice.pdf', []],
    ['Call.5.30.pm.mp3', []],
    // but a name that ends in one is still the script it says
    ['config.inc', ['server-script']],
    // name tricks
    ['x.php.', ['name-trick']],
    ['x.php ', ['name-trick']],
    ['x.php::$DATA', ['name-trick']],
    ['x.asp;.jpg', ['name-trick']],
    ['x.php%00.jpg', ['name-trick']],
    ['x.php\0.jpg', ['name-trick']],
    ['x%2ephp', ['name-trick']],
    // server configuration
    ['.htaccess', ['server-config']],
    ['.HTACCESS', ['server-config']],
    ['.htaccess.', ['server-config']],
    ['web.config', ['server-config']],
    ['.user.ini', ['server-config']],
    ['uwsgi.ini', ['server-config']],
    ['web.xml', ['server-config']],
    ['crossdomain.xml', ['server-config']],
    ['ClientAccessPolicy.xml', ['server-config']],
    // look-alikes: other .ini and .xml files, a name that only contains one
    ['settings.ini', []],
    ['sitemap.xml', []],
    ['my-web.xml.txt', []],
  ])('%j → %j', (name, expected) => {
    expect(fired(name)).toEqual(expected);
  });

  it('also judges symlinks by name (a link called x.php is served as PHP)', () => {
    const rule = rules.find((r) => r.id === 'dangerous-extension/server-script')!;
    expect(check(rule, facts('x.php', { kind: 'symlink' }))).toHaveLength(1);
    expect(rule.kinds).not.toContain('directory');
  });
});
