import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sortReport } from '../audit/report.js';
import { chalkFor } from '../cli/output.js';
import type { Finding } from '../model/types.js';
import { sampleReport } from '../test-support/sample-report.js';
import { html } from './html.js';

const CHROMIUM = '/usr/bin/chromium';
const HOSTILE = '<img src=x onerror="window.__pwned=1">.php';
const BREAKOUT = '</script><script>window.__pwned=2</script>.svg';

/** Debian's Chromium, installed here when missing (tests run as root in CI). */
function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  const install = spawnSync(
    'bash',
    [
      '-c',
      'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium',
    ],
    {
      encoding: 'utf8',
      timeout: 900_000,
    },
  );
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium is needed for the HTML report test and could not be installed:\n${install.stderr}`,
    );
}

let browser: Browser;
beforeAll(async () => {
  ensureChromium();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 900_000);
afterAll(async () => browser?.close());

function report() {
  const r = sampleReport();
  const extra = (path: string): Finding => ({ ...r.findings[1]!, path, fingerprint: path });
  r.findings.push(extra(HOSTILE), extra(BREAKOUT));
  sortReport(r.findings, r.notEvaluated);
  return r;
}

describe('the HTML report in headless Chromium', () => {
  it('renders, draws its charts, filters and sorts, and shows hostile names as text', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'upload-audit-html-')), 'report.html');
    const r = report();
    writeFileSync(file, html(r, { color: chalkFor(0) }));
    const page = await browser.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('dialog', (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    page.on('request', (req) => requests.push(req.url()));
    await page.goto(`file://${file}`);

    expect(await page.title()).toBe('upload-audit: uploads');
    expect(await page.locator('#chart-severity rect').count()).toBe(5);
    expect(await page.locator('#chart-category rect').count()).toBe(8);
    expect(await page.locator('#chart-folders rect').count()).toBeGreaterThan(0);
    const active = r.findings.filter((f) => !f.suppressed).length;
    expect(await page.locator('#findings tbody tr').count()).toBe(active);

    await page.fill('#filter', 'passwd');
    expect(await page.locator('#findings tbody tr').count()).toBe(1);
    expect(await page.textContent('#shown')).toBe('1');
    await page.fill('#filter', '');
    await page.selectOption('#severity', 'critical');
    expect(await page.locator('#findings tbody tr').count()).toBe(
      r.findings.filter((f) => !f.suppressed && f.severity === 'critical').length,
    );
    await page.selectOption('#severity', '');
    await page.click('#findings th[data-key="path"]');
    const paths = await page.locator('#findings tbody tr td.path').allTextContents();
    const numeric = new Intl.Collator(undefined, { numeric: true });
    expect(paths).toEqual([...paths].sort(numeric.compare));

    expect(paths).toContain(HOSTILE);
    expect(paths).toContain(BREAKOUT);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(await page.locator('#findings img').count()).toBe(0);
    expect(await page.locator('#not-evaluated li').count()).toBe(r.notEvaluated.length);
    expect(problems).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
    await page.close();
  }, 120_000);

  it('colours bars by severity, shows deltas, new and fixed lists and a trend, wraps paths at separators, fits a phone', async () => {
    const r = report();
    const deep = 'uploads/2024/03/16/users/someone-with-a-long-name/avatars/original/profile-picture-9.php';
    const extra = (path: string): Finding => ({ ...r.findings[1]!, path, fingerprint: path });
    r.findings.push(extra(deep), extra('up/f10.php'), extra('up/f9.php'));
    sortReport(r.findings, r.notEvaluated);
    const counts = {
      total: 3,
      bySeverity: { critical: 1, high: 2 },
      byCategory: { 'dangerous-extension': 3 },
    };
    r.comparison = {
      baseline: { root: 'uploads', startedAt: '2026-12-05T03:17:00.000Z', policyDigest: r.policy.digest },
      before: counts as never,
      after: { ...counts, total: 5 } as never,
      new: [extra(deep)],
      fixed: [extra('up/old.php')],
      moved: [],
      unchanged: 4,
      judged: 'all',
    };
    const trend = [1, 2, 3].map((i) => ({
      startedAt: `2026-12-0${i}T03:17:00.000Z`,
      findings: 2 * i,
      bySeverity: { critical: i, high: i },
    }));
    const dir = mkdtempSync(join(tmpdir(), 'upload-audit-html-'));
    const file = join(dir, 'report.html');
    writeFileSync(file, html(r, { color: chalkFor(0), trend }));
    for (const [name, width] of [
      ['desktop', 1280],
      ['phone', 390],
    ] as const) {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      await page.goto(`file://${file}`);
      const fills = await page
        .locator('#chart-severity rect')
        .evaluateAll((els) => els.map((e) => e.getAttribute('fill')));
      expect(new Set(fills).size).toBe(5);
      expect(await page.locator('#before-after th').allTextContents()).toEqual([
        '',
        'before',
        'after',
        'change',
      ]);
      expect(await page.locator('#before-after td.up').count()).toBeGreaterThan(0);
      expect(await page.locator('#new-findings li').allTextContents()).toEqual([
        expect.stringContaining(deep),
      ]);
      expect(await page.locator('#fixed-findings li').count()).toBe(1);
      expect(await page.locator('#chart-trend rect').count()).toBe(6);
      // A path breaks only where a <wbr> follows a slash: its segments do not break.
      const cell = page.locator('#findings td.path', { hasText: 'profile-picture-9.php' });
      expect(await cell.locator('wbr').count()).toBe(deep.split('/').length - 1);
      expect(await page.evaluate("getComputedStyle(document.querySelector('td.path')).wordBreak")).toBe(
        'normal',
      );
      await page.click('#findings th[data-key="path"]');
      const order = await page.locator('#findings td.path').allTextContents();
      expect(order.indexOf('up/f9.php')).toBeLessThan(order.indexOf('up/f10.php'));
      await page.screenshot({ path: join(dir, `report-${name}.png`), fullPage: true });
      if (name === 'desktop')
        expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(width);
      // Charts scale down to the page instead of being cut.
      expect(
        await page.evaluate("document.querySelector('#chart-category').getBoundingClientRect().width"),
      ).toBeLessThanOrEqual(width);
      await page.close();
    }
    console.log(`HTML screenshots: ${dir}/report-desktop.png, report-phone.png`);
  }, 120_000);
});
