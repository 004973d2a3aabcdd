/**
 * One self-contained HTML page for the cron job's report: SVG charts, a sortable and filterable
 * findings table, the not-evaluated list and the before/after. No external requests; a strict
 * Content-Security-Policy allows only this page's own style and script, by hash; file names reach
 * the page as JSON data and are inserted as text, never as markup.
 */
import { createHash } from 'node:crypto';
import { CATEGORIES, type Report, SEVERITIES } from '../model/types.js';
import { renderMessage } from '../rules/messages.js';
import { escapeUnsafe } from '../util/escape.js';
import { countRows } from './comparison.js';
import { coverage, findingPlace, xmlEscape } from './shared.js';
import type { Reporter, TrendPoint } from './types.js';

const STYLE = `body{font:14px system-ui,sans-serif;margin:2rem;color:#222}h1 .fail{color:#b00}h1 .pass{color:#070}
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{cursor:pointer;background:#f4f4f4}td.path{font-family:monospace;overflow-wrap:normal;word-break:normal}.charts{display:flex;gap:2rem;flex-wrap:wrap}
.sev-critical{color:#fff;background:#b00}.sev-high{color:#b00}.sev-medium{color:#a60}.sev-low{color:#05a}input,select{margin-right:.5rem}
.seg{white-space:nowrap}.up{color:#b00}.down{color:#070}td.n{text-align:right;font-variant-numeric:tabular-nums}svg{max-width:100%;height:auto}
@media (max-width:600px){body{margin:.5rem}th,td{padding:.2rem}}`;

const SCRIPT = `(()=>{const data=JSON.parse(document.getElementById('findings-data').textContent);
const body=document.querySelector('#findings tbody');const q=document.getElementById('filter');const sev=document.getElementById('severity');
const rank={critical:4,high:3,medium:2,low:1,info:0};let key='severity',dir=-1;
function cell(tr,text,cls){const td=document.createElement('td');td.textContent=text;if(cls)td.className=cls;tr.appendChild(td);return td;}
function pathCell(tr,path){const td=cell(tr,'','path');const parts=path.split('/');parts.forEach((p,i)=>{const seg=document.createElement('span');seg.className='seg';seg.textContent=i<parts.length-1?p+'/':p;td.append(seg);if(i<parts.length-1)td.append(document.createElement('wbr'));});}
const order=new Intl.Collator(undefined,{numeric:true});
function render(){const text=q.value.toLowerCase();const min=sev.value;body.replaceChildren();let shown=0;
const rows=data.filter(f=>(!min||rank[f.severity]>=rank[min])&&(!text||(f.path+' '+f.ruleId+' '+f.message).toLowerCase().includes(text)));
rows.sort((a,b)=>{const x=key==='severity'?rank[a.severity]-rank[b.severity]:order.compare(String(a[key]),String(b[key]));return x*dir;});
for(const f of rows){const tr=document.createElement('tr');cell(tr,f.severity,'sev-'+f.severity);cell(tr,f.ruleId);pathCell(tr,f.path);cell(tr,f.message);body.appendChild(tr);shown++;}
document.getElementById('shown').textContent=String(shown);}
for(const th of document.querySelectorAll('#findings th[data-key]'))th.addEventListener('click',()=>{const k=th.dataset.key;dir=k===key?-dir:1;key=k;render();});
q.addEventListener('input',render);sev.addEventListener('change',render);render();})();`;

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** JSON that can sit inside <script>: no `<`, so no `</script>` and no `<!--`. */
const scriptJson = (value: unknown): string =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

/** Bar colors: a severity's own, anything else one calm color. */
const SEVERITY_FILL: Record<string, string> = {
  critical: '#a00',
  high: '#e04848',
  medium: '#e8a020',
  low: '#4a8ad0',
  info: '#999',
};

/** A horizontal bar chart as inline SVG; labels are escaped text. */
function barChart(title: string, id: string, bars: [string, number][]): string {
  const max = Math.max(1, ...bars.map(([, n]) => n));
  const rows = bars.map(([label, n], i) => {
    const y = 24 + i * 22;
    const width = Math.round((n / max) * 260);
    const fill = SEVERITY_FILL[label] ?? '#5a7fa8';
    return `<text x="0" y="${y + 14}">${xmlEscape(label)}</text><rect x="170" y="${y}" width="${width}" height="16" fill="${fill}"><title>${xmlEscape(`${label}: ${n}`)}</title></rect><text x="${176 + width}" y="${y + 13}">${n}</text>`;
  });
  const height = 34 + bars.length * 22;
  return `<svg id="${id}" role="img" aria-label="${xmlEscape(title)}" width="480" height="${height}" viewBox="0 0 480 ${height}" font-size="12"><text x="0" y="14" font-weight="bold">${xmlEscape(title)}</text>${rows.join('')}</svg>`;
}

/** The folders holding the most findings (first two path segments). */
function topFolders(report: Report): [string, number][] {
  const counts = new Map<string, number>();
  for (const f of report.findings) {
    if (f.suppressed) continue;
    const folder = f.path.split('/').slice(0, -1).slice(0, 2).join('/') || '.';
    counts.set(folder, (counts.get(folder) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 10);
}

/** Findings per kept run as stacked bars by severity, oldest first (at most the last 60). */
function trendChart(points: readonly TrendPoint[]): string {
  const shown = points.slice(-60);
  const max = Math.max(1, ...shown.map((p) => p.findings));
  const step = Math.max(6, Math.floor(440 / Math.max(1, shown.length)));
  const bars = shown.map((p, i) => {
    let y = 180;
    const x = 30 + i * step;
    const parts = [...SEVERITIES].map((sev) => {
      const h = Math.round(((p.bySeverity[sev] ?? 0) / max) * 150);
      y -= h;
      return h > 0
        ? `<rect x="${x}" y="${y}" width="${step - 2}" height="${h}" fill="${SEVERITY_FILL[sev]}"/>`
        : '';
    });
    return `<g><title>${xmlEscape(`${p.startedAt}: ${p.findings} findings`)}</title>${parts.join('')}</g>`;
  });
  const first = shown[0]?.startedAt.slice(0, 10) ?? '';
  const last = shown.at(-1)?.startedAt.slice(0, 10) ?? '';
  return `<h2>Trend</h2><svg id="chart-trend" role="img" aria-label="findings per run" width="500" height="210" viewBox="0 0 500 210" font-size="11"><text x="0" y="12">${max}</text><text x="0" y="180">0</text>${bars.join('')}<text x="30" y="200">${xmlEscape(first)}</text><text x="470" y="200" text-anchor="end">${xmlEscape(last)}</text></svg>`;
}

/** A signed change, colored: more findings is worse. */
const delta = (before: number, after: number): string => {
  const d = after - before;
  return d === 0
    ? '<td class="n">0</td>'
    : `<td class="n ${d > 0 ? 'up' : 'down'}">${d > 0 ? '+' : '−'}${Math.abs(d)}</td>`;
};

/** A list of findings of the comparison (new, fixed or moved), paths as text. */
function findingList(id: string, title: string, lines: string[]): string {
  if (lines.length === 0) return '';
  const shown = lines.slice(0, 200);
  const more = lines.length > shown.length ? `<li>… and ${lines.length - shown.length} more</li>` : '';
  return `<h3>${xmlEscape(title)} (${lines.length})</h3><ul id="${id}">${shown.map((l) => `<li>${xmlEscape(l)}</li>`).join('')}${more}</ul>`;
}

export const html: Reporter = (report, { trend }) => {
  const s = report.summary;
  const active = report.findings.filter((f) => !f.suppressed);
  const data = active.map((f) => ({
    severity: f.severity,
    ruleId: f.ruleId,
    // Shown as text, and escaped like the terminal's: a bidi override must not reorder a name on screen.
    path: escapeUnsafe(findingPlace(f)),
    message: escapeUnsafe(renderMessage(f)),
  }));
  const csp = `default-src 'none'; style-src ${sha256(STYLE)}; script-src ${sha256(SCRIPT)}; img-src 'none'; base-uri 'none'; form-action 'none'`;
  const comparison = report.comparison;
  const beforeAfter = comparison
    ? `<h2>Before/after</h2><p>Compared with the run of ${xmlEscape(comparison.baseline.startedAt)}: ${comparison.new.length} new, ${comparison.fixed.length} fixed, ${comparison.moved.length} moved, ${comparison.unchanged} unchanged.</p><table id="before-after"><tr><th></th><th>before</th><th>after</th><th>change</th></tr>${countRows(
        comparison.before,
        comparison.after,
      )
        .map(
          ([name, b, a]) =>
            `<tr><td>${xmlEscape(name)}</td><td class="n">${b}</td><td class="n">${a}</td>${delta(b, a)}</tr>`,
        )
        .join('')}</table>${findingList(
        'new-findings',
        'New',
        comparison.new.map((f) => `${f.severity} ${f.ruleId}: ${escapeUnsafe(findingPlace(f))}`),
      )}${findingList(
        'fixed-findings',
        'Fixed',
        comparison.fixed.map((f) => `${f.severity} ${f.ruleId}: ${escapeUnsafe(findingPlace(f))}`),
      )}${findingList(
        'moved-findings',
        'Moved',
        comparison.moved.map(
          (m) =>
            `${m.to.ruleId}: ${escapeUnsafe(findingPlace(m.from))} → ${escapeUnsafe(findingPlace(m.to))}`,
        ),
      )}`
    : '';
  const notEvaluated = report.notEvaluated.length
    ? `<h2>Not evaluated (${report.summary.notEvaluated})</h2><p>Never reported as clean.</p><ul id="not-evaluated">${report.notEvaluated
        .map(
          (n) =>
            `<li><code>${xmlEscape(n.path)}</code>: ${xmlEscape(n.reason)}${n.detail ? ` (${xmlEscape(n.detail)})` : ''}</li>`,
        )
        .join('')}</ul>`
    : '';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>upload-audit: ${xmlEscape(report.root)}</title><style>${STYLE}</style></head>
<body>
<h1>upload-audit: <span class="${s.failed ? 'fail' : 'pass'}">${s.failed ? 'FAIL' : 'PASS'}</span></h1>
<p>${xmlEscape(report.root)} · ${s.findings} findings (${s.suppressed} suppressed) · ${s.entries} entries · ${s.evaluated} evaluated · <strong>${s.notEvaluated} not evaluated</strong> · ${xmlEscape(coverage(report))} · fail-on ${xmlEscape(s.failOn)} · ${xmlEscape(report.startedAt)}</p>
<div class="charts">
${barChart(
  'Findings by severity',
  'chart-severity',
  [...SEVERITIES].reverse().map((sev) => [sev, s.bySeverity[sev]]),
)}
${barChart(
  'Findings by category',
  'chart-category',
  CATEGORIES.map((c) => [c, s.byCategory[c]]),
)}
${barChart('Folders with the most findings', 'chart-folders', topFolders(report))}
</div>
${beforeAfter}
${trend && trend.length > 1 ? trendChart(trend) : ''}
<h2>Findings (<span id="shown">${data.length}</span> of ${data.length})</h2>
<p><input id="filter" type="search" placeholder="filter by path, rule or message" aria-label="filter">
<select id="severity" aria-label="minimum severity"><option value="">any severity</option>${[...SEVERITIES]
    .reverse()
    .map((sev) => `<option value="${sev}">${sev} and above</option>`)
    .join('')}</select></p>
<table id="findings"><thead><tr><th data-key="severity">Severity</th><th data-key="ruleId">Rule</th><th data-key="path">Path</th><th data-key="message">Details</th></tr></thead><tbody></tbody></table>
${notEvaluated}
<p><small>upload-audit ${xmlEscape(report.tool.version)} · policy ${xmlEscape(report.policy.source)} (${xmlEscape(report.policy.digest)})</small></p>
<script type="application/json" id="findings-data">${scriptJson(data)}</script>
<script>${SCRIPT}</script>
</body></html>
`;
};
