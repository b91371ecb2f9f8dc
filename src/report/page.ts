// The self-contained report.html: run metadata, verdict, tables and the interactive figures. vega's runtime and
// the compiled Vega specs are inlined, so the page opens without a network; tooltips use a small handler here.
import type { Results } from '../bench/results.ts';
import type { Json } from './specs.ts';
import { escapeHtml as esc, tableHtml, type Table } from './tables.ts';
import type { Verdict } from './verdict.ts';
import { fmtSeconds } from './style.ts';

export interface PageFigure {
  name: string;
  title: string;
  caption: string;
  vega: Json;
}

/** JSON or script text safe inside a <script> element. */
const inline = (text: string): string => text.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');

function metadataHtml(results: Results): string {
  const m = results.metadata;
  const list = (xs: readonly unknown[] | undefined): string => (xs ?? []).join(', ');
  const rows: [string, string][] = [
    ['started', m.started_at],
    ['runtime', fmtSeconds(m.runtime_sec)],
    ['mode', m.quick ? 'quick (reduced sizes: not comparable to the reference)' : 'full'],
    ['seeds', list(m.seeds)],
    ['scenarios', list(m.scenarios)],
    ['models', list(m.models)],
    ['regimes', list(m.regimes)],
    [
      'fractions',
      `anytime ${list(m.fractions?.anytime)}; low-data ${list(m.fractions?.low_data)} at ` +
        `${list(m.fractions?.low_data_checkpoints)} of the budget; transfer ${list(m.fractions?.transfer)}`,
    ],
    ['versions', `cfinit ${m.versions?.cfinit}, libtorch ${m.versions?.libtorch}, node ${m.versions?.node}`],
    ['machine', `${m.machine?.cpu}, ${m.machine?.cores} cores, ${m.machine?.memory_gb} GB, ${m.machine?.platform}`],
    ['threads / jobs', `${m.threads} intra-op threads, ${m.jobs} parallel job${m.jobs === 1 ? '' : 's'}`],
  ];
  return `<section id="metadata"><h2>Run</h2><table class="meta"><tbody>\n${rows
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(String(v))}</td></tr>`)
    .join('\n')}\n</tbody></table></section>`;
}

const STYLE = `
body { font-family: 'DejaVu Sans', Helvetica, Arial, sans-serif; margin: 24px auto; max-width: 1240px; color: #222;
  padding: 0 16px; line-height: 1.45; }
h1 { font-size: 24px; margin-bottom: 4px; } h2 { font-size: 18px; margin-top: 36px; border-bottom: 1px solid #ddd; }
.note, figcaption { color: #555; font-size: 13px; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
th, td { border-bottom: 1px solid #e4e4e4; padding: 4px 10px; text-align: left; white-space: nowrap; }
thead th { background: #f5f5f5; }
table.meta th { font-weight: normal; color: #555; }
td.headline { font-weight: bold; }
td.good { font-weight: bold; background: #e3f4e1; color: #1a6b1a; }
td.bad { font-weight: bold; background: #fbe3e3; color: #a11; }
td.outside-ci { background: #fff3cd; font-weight: bold; }
#verdict ul { padding-left: 20px; } #verdict li { margin: 4px 0; }
figure { margin: 24px 0; } .chart { overflow-x: auto; }
.files a { font-size: 12px; margin-right: 10px; }
#tooltip { position: fixed; display: none; pointer-events: none; background: rgba(255,255,255,0.97);
  border: 1px solid #aaa; border-radius: 4px; padding: 6px 8px; font-size: 12px; box-shadow: 0 2px 6px rgba(0,0,0,.2);
  z-index: 10; }
#tooltip th { color: #555; font-weight: normal; padding: 1px 8px 1px 0; border: none; background: none; }
#tooltip td { padding: 1px 0; border: none; }
#errors { color: #a11; }
`;

// Runs in the browser: render every spec to SVG with vega's View API; tooltips through a small handler.
const SCRIPT = `
(function () {
  var specs = JSON.parse(document.getElementById('specs').textContent);
  var tip = document.getElementById('tooltip');
  function esc(s) { return String(s).replace(/[&<>"]/g, function (c) {
    return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]; }); }
  function tooltip(handler, event, item, value) {
    if (value === undefined || value === null || value === '') { tip.style.display = 'none'; return; }
    var rows = typeof value === 'object'
      ? Object.keys(value).map(function (k) { return [k, value[k]]; }) : [['', value]];
    tip.innerHTML = '<table>' + rows.map(function (r) {
      return '<tr><th>' + esc(r[0]) + '</th><td>' + esc(r[1]) + '</td></tr>'; }).join('') + '</table>';
    tip.style.display = 'block';
    var x = event.clientX + 14, y = event.clientY + 14;
    if (x + tip.offsetWidth > window.innerWidth) x = event.clientX - tip.offsetWidth - 14;
    if (y + tip.offsetHeight > window.innerHeight) y = event.clientY - tip.offsetHeight - 14;
    tip.style.left = x + 'px'; tip.style.top = y + 'px';
  }
  var done = Object.keys(specs).map(function (name) {
    var el = document.getElementById('chart-' + name);
    var view = new vega.View(vega.parse(specs[name]), { renderer: 'svg', container: el, hover: true });
    view.tooltip(tooltip);
    return view.runAsync().then(function () { el.setAttribute('data-rendered', 'true'); });
  });
  Promise.all(done).then(function () { document.body.setAttribute('data-rendered', 'true'); }, function (err) {
    document.getElementById('errors').textContent = 'A figure failed to render: ' + err;
    console.error(err);
  });
})();
`;

const QUICK_NOTE = ' (a <b>--quick</b> run: reduced sizes, numbers not comparable to the reference)';

export function pageHtml(args: {
  results: Results;
  figures: PageFigure[];
  tables: Table[];
  verdict: Verdict;
  vegaJs: string;
  source: string;
}): string {
  const { results, figures, tables, verdict, vegaJs, source } = args;
  const specs = Object.fromEntries(figures.map((f) => [f.name, f.vega]));
  const figureHtml = figures
    .map(
      (f) => `<figure id="figure-${f.name}"><h2>${esc(f.title)}</h2>
<div class="chart" id="chart-${f.name}"></div>
<figcaption>${esc(f.caption)} <span class="files"><a href="figures/${f.name}.svg">SVG</a>
<a href="figures/${f.name}.png">PNG</a></span></figcaption>
</figure>`,
    )
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>cfinit benchmark report</title><style>${STYLE}</style></head>
<body>
<h1>cfinit benchmark report</h1>
<p class="note">Closed-form initialization against backprop from scratch. Generated by <code>cfinit report</code> from
<code>${esc(source)}</code>${results.metadata.quick ? QUICK_NOTE : ''}.</p>
<p id="errors"></p>
<section id="verdict"><h2>Verdict</h2><ul>
${verdict.sentences.map((s) => `<li>${esc(s)}</li>`).join('\n')}
</ul></section>
${tables.map((t, i) => tableHtml(t, `table-${i}`)).join('\n')}
${figureHtml}
${metadataHtml(results)}
<div id="tooltip"></div>
<script>${inline(vegaJs)}</script>
<script type="application/json" id="specs">${inline(JSON.stringify(specs))}</script>
<script>${SCRIPT}</script>
</body></html>
`;
}
