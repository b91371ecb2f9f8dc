// The self-contained report.html: the answers first (one line per question), then the per-scenario verdict,
// the tables (each with a CSV download and a link to its figure), the interactive figures (each linking back to
// its table) and the run's metadata. vega's runtime, the compiled Vega specs and the CSVs (data: URLs) are
// inlined, so the page opens without a network. It fits a phone (tables scroll in their own box, figures reflow
// to one column), prints on A4, and follows prefers-color-scheme (figures included).
import type { Results } from '../bench/results.ts';
import type { Answer } from './answers.ts';
import type { Json } from './specs.ts';
import { escapeHtml as esc, tableCsv, tableHtml, type Table } from './tables.ts';
import type { Verdict } from './verdict.ts';
import { DARK, LIGHT, fmtSeconds } from './style.ts';

export interface PageFigure {
  name: string;
  title: string;
  caption: string;
  vega: Json;
}

/** Script text safe inside a <script> element. */
const inline = (text: string): string => text.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');

/**
 * JSON safe inside a <script> element and still JSON: every `<` as \u003c (no `</script>` or `<!--` can form;
 * `<\!--` would not parse), and U+2028/U+2029 escaped.
 */
export const inlineJson = (value: unknown): string =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

/** 23.5 GB (one decimal), whatever precision the file holds. */
const fmtGb = (gb: number | undefined): string => (Number.isFinite(gb) ? `${gb!.toFixed(1)} GB` : 'unknown memory');

function metadataHtml(results: Results): string {
  const m = results.metadata;
  const list = (xs: readonly unknown[] | undefined): string => (xs ?? []).join(', ');
  const rows: [string, string][] = [
    // format-1 job files record no finish: the start is the earliest of those that do
    ['started', m.jobs_without_identity ? `${m.started_at} (the earliest job of a recorded finish)` : m.started_at],
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
    ['machine', `${m.machine?.cpu}, ${m.machine?.cores} cores, ${fmtGb(m.machine?.memory_gb)}, ${m.machine?.platform}`],
    // jobs run one after another (shards may run side by side on other machines): a count, not a parallelism
    ['threads / jobs', `${m.threads} intra-op threads; ${m.jobs} job${m.jobs === 1 ? '' : 's'}`],
  ];
  if (m.jobs_without_identity) {
    rows.push([
      'unchecked jobs',
      `${m.jobs_without_identity} of ${m.jobs} job files of format 1 (written before job files carried the ` +
        `configuration they were computed under), merged with --allow-mixed`,
    ]);
  }
  return `<section id="metadata"><h2>Run</h2><div class="table-wrap"><table class="meta"><tbody>\n${rows
    .map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td>${esc(String(v))}</td></tr>`)
    .join('\n')}\n</tbody></table></div></section>`;
}

const cssVars = (t: Record<keyof typeof LIGHT, string>, extra: Record<string, string>): string =>
  Object.entries({ bg: t.background, ink: t.ink, muted: t.muted, rule: t.grid, frame: t.frame, ...extra })
    .map(([k, v]) => `--${k}: ${v};`)
    .join(' ');

const STYLE = `
:root { color-scheme: light dark; ${cssVars(LIGHT, { head: '#f3f4f6', flag: '#fff1c2', link: '#0b5fa5', card: '#f7f8fa' })} }
@media (prefers-color-scheme: dark) {
  :root { ${cssVars(DARK, { head: '#25282e', flag: '#4d4216', link: '#8cc8ff', card: '#23262b' })} }
}
* { box-sizing: border-box; }
body { font-family: 'DejaVu Sans', Helvetica, Arial, sans-serif; margin: 24px auto; max-width: 1240px;
  padding: 0 16px; line-height: 1.45; color: var(--ink); background: var(--bg); font-size: 15px; }
a { color: var(--link); }
h1 { font-size: 26px; margin: 0 0 4px; line-height: 1.2; }
h2 { font-size: 19px; margin-top: 40px; border-bottom: 1px solid var(--rule); padding-bottom: 2px; }
.lede, .note, figcaption { color: var(--muted); font-size: 13px; }
code { font-size: 12px; overflow-wrap: anywhere; }
#answer { margin-top: 18px; }
.answers { margin: 0; background: var(--card); border: 1px solid var(--rule); border-radius: 6px; padding: 6px 16px; }
.answer { display: grid; grid-template-columns: minmax(0, 14em) minmax(0, 1fr); gap: 0 20px; padding: 8px 0; }
.answer + .answer { border-top: 1px solid var(--rule); }
.answers dt { color: var(--muted); font-size: 14px; padding-top: 3px; }
.answers dd { margin: 0; font-size: 14px; }
.answers .summary { font-size: 18px; display: block; margin-bottom: 2px; }
.answers .evidence { color: var(--muted); }
nav.contents { font-size: 13px; margin: 14px 0 0; }
nav.contents a { margin-right: 12px; white-space: nowrap; display: inline-block; }
#verdict ul { padding-left: 20px; margin: 0; } #verdict li { margin: 4px 0; }
.links { font-size: 13px; margin: 4px 0 6px; }
.links a { margin-right: 14px; }
.table-wrap { overflow-x: auto; max-width: 100%; -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; font-size: 13px; margin: 4px 0; }
th, td { border-bottom: 1px solid var(--rule); padding: 4px 10px; text-align: left; white-space: nowrap; }
thead th { background: var(--head); }
table.meta th { font-weight: normal; color: var(--muted); }
table.meta td, table.prose td { white-space: normal; min-width: 9em; }
td.winner { font-weight: bold; }
td.outside-ci { background: var(--flag); }
figure { margin: 28px 0; }
.chart { width: 100%; overflow: hidden; }
.chart svg { max-width: 100%; height: auto; display: block; }
.files a { margin-right: 10px; }
#tooltip { position: fixed; display: none; pointer-events: none; background: var(--bg); color: var(--ink);
  border: 1px solid var(--frame); border-radius: 4px; padding: 6px 8px; font-size: 12px;
  box-shadow: 0 2px 6px rgba(0,0,0,.25); z-index: 10; }
#tooltip th { color: var(--muted); font-weight: normal; padding: 1px 8px 1px 0; border: none; background: none; }
#tooltip td { padding: 1px 0; border: none; }
#errors { color: #c0392b; }
@media (max-width: 640px) {
  body { margin: 12px auto; padding: 0 12px; }
  h1 { font-size: 22px; }
  .answers { padding: 4px 12px; }
  .answer { grid-template-columns: minmax(0, 1fr); }
  .answers .summary { font-size: 16px; }
}
@page { size: A4; margin: 14mm 12mm; }
@media print {
  :root { ${cssVars(LIGHT, { head: '#eeeeee', flag: '#fff1c2', link: '#000000', card: '#ffffff' })} }
  body { max-width: none; margin: 0; padding: 0; font-size: 10pt; }
  nav.contents, .links, .files, #tooltip { display: none; }
  .table-wrap { overflow: visible; }
  table { width: 100%; font-size: 7.5pt; }
  th, td { white-space: normal; overflow-wrap: break-word; padding: 2px 4px; }
  h2 { break-after: avoid; margin-top: 18px; }
  tr, figure, .answers { break-inside: avoid; }
  .chart { overflow: visible; }
}
`;

// Runs in the browser. Each figure is laid out for its box: two panels per row when both fit at ≥ 220 px,
// else one; the panel width signal is fitted in two passes (render, measure the axes' share, refit). Under
// prefers-color-scheme: dark the specs' LIGHT colours are swapped for their DARK twins before parsing.
const SCRIPT = `
(function () {
  var specs = JSON.parse(document.getElementById('specs').textContent);
  var theme = JSON.parse(document.getElementById('theme').textContent);
  var darkQuery = window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;
  var tip = document.getElementById('tooltip');
  var swap = {};
  Object.keys(theme.light).forEach(function (k) { swap[theme.light[k].toLowerCase()] = theme.dark[k]; });
  function themed(node, dark) {
    if (Array.isArray(node)) return node.map(function (x) { return themed(x, dark); });
    if (node && typeof node === 'object') {
      var out = {};
      Object.keys(node).forEach(function (k) { out[k] = themed(node[k], dark); });
      return out;
    }
    if (dark && typeof node === 'string' && swap[node.toLowerCase()]) return swap[node.toLowerCase()];
    return node;
  }
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
    if (x + tip.offsetWidth > window.innerWidth) x = Math.max(0, event.clientX - tip.offsetWidth - 14);
    if (y + tip.offsetHeight > window.innerHeight) y = Math.max(0, event.clientY - tip.offsetHeight - 14);
    tip.style.left = x + 'px'; tip.style.top = y + 'px';
  }
  var views = {};
  var widths = {};
  function render(name) {
    var el = document.getElementById('chart-' + name);
    var box = el.clientWidth;
    var dark = !!(darkQuery && darkQuery.matches);
    var spec = themed(specs[name], dark);
    delete spec.title; // the page's heading and caption say it
    var meta = spec.usermeta || {};
    var wide = meta.columns || 1;
    var cols = (box - 100 * wide) / wide >= 220 ? wide : 1;
    if (spec.layout) spec.layout.columns = cols;
    (spec.legends || []).forEach(function (l) {
      l.columns = Math.max(1, Math.min((meta.models || []).length || 1, Math.floor(box / 190)));
    });
    var signals = (spec.signals || []).map(function (s) { return s.name; })
      .filter(function (n) { return /(^|_)childWidth$/.test(n); });
    if (views[name]) views[name].finalize();
    el.innerHTML = '';
    var view = new vega.View(vega.parse(spec), { renderer: 'svg', container: el, hover: true });
    views[name] = view;
    widths[name] = box;
    view.tooltip(tooltip);
    var guess = Math.max(160, Math.floor((box - 100 * cols) / cols));
    signals.forEach(function (n) { view.signal(n, guess); });
    // Width of the drawing at a panel width w is chrome + cols·w; measure chrome, refit (twice: tick labels
    // change with the width).
    function refit(w, passes) {
      var chrome = Number(el.querySelector('svg').getAttribute('width')) - cols * w;
      var fit = Math.max(160, Math.floor((box - chrome) / cols));
      if (signals.length === 0 || passes === 0 || (fit <= w && fit > w - 2)) return view;
      signals.forEach(function (n) { view.signal(n, fit); });
      return view.resize().runAsync().then(function () { return refit(fit, passes - 1); });
    }
    return view.runAsync().then(function () { return refit(guess, 2); }).then(function () {
      el.setAttribute('data-rendered', 'true');
      el.setAttribute('data-columns', String(cols));
      el.setAttribute('data-theme', dark ? 'dark' : 'light');
    });
  }
  function renderAll() { return Promise.all(Object.keys(specs).map(render)); }
  renderAll().then(function () { document.body.setAttribute('data-rendered', 'true'); }, function (err) {
    document.getElementById('errors').textContent = 'A figure failed to render: ' + err;
    console.error(err);
  });
  var pending = null;
  window.addEventListener('resize', function () {
    clearTimeout(pending);
    pending = setTimeout(function () {
      Object.keys(specs).forEach(function (name) {
        if (document.getElementById('chart-' + name).clientWidth !== widths[name]) render(name);
      });
    }, 150);
  });
  if (darkQuery && darkQuery.addEventListener) darkQuery.addEventListener('change', renderAll);
})();
`;

const QUICK_NOTE = ' A <b>--quick</b> run: reduced sizes, numbers not comparable to the reference.';

const csvHref = (t: Table): string => `data:text/csv;charset=utf-8,${encodeURIComponent(tableCsv(t))}`;

function tableSection(t: Table, figures: PageFigure[]): string {
  const figure = figures.find((f) => f.name === t.figure);
  return `<section id="table-${t.id}" class="table-section"><h2>${esc(t.title)}</h2>
<p class="note">${esc(t.note)}</p>
<p class="links"><a class="csv" download="${t.id}.csv" href="${csvHref(t)}">Download CSV</a>${
    figure ? `<a class="to-figure" href="#figure-${figure.name}">Figure: ${esc(figure.title)}</a>` : ''
  }</p>
<div class="table-wrap" role="region" tabindex="0" aria-label="${esc(t.title)}">${tableHtml(t)}</div></section>`;
}

function figureSection(f: PageFigure, tables: Table[]): string {
  const own = tables.filter((t) => t.figure === f.name);
  const links = own.map((t) => `<a class="to-table" href="#table-${t.id}">Table: ${esc(t.title)}</a>`).join(' ');
  return `<figure id="figure-${f.name}"><h2>${esc(f.title)}</h2>
<div class="chart" id="chart-${f.name}"></div>
<figcaption>${esc(f.caption)}</figcaption>
<p class="links">${links}<span class="files"><a href="figures/${f.name}.svg">SVG</a><a href="figures/${f.name}.png">PNG</a></span></p>
</figure>`;
}

function answersHtml(answers: Answer[], startsTable: Table | undefined): string {
  const items = answers
    .map(
      (a) =>
        `<div class="answer" id="answer-${a.id}"><dt>${esc(a.question)}</dt>` +
        `<dd><span class="summary">${esc(a.summary)}</span><span class="evidence">${esc(a.evidence)}</span></dd></div>`,
    )
    .join('\n');
  const more = startsTable
    ? ` <a href="#table-${startsTable.id}">${esc(startsTable.title)}</a> gives every start, not only the best.`
    : '';
  return `<section id="answer" aria-label="The answer"><dl class="answers">
${items}
</dl>
<p class="note">Per scenario, the best start (any model but the baseline) for each question, set against the
baseline.${more}</p></section>`;
}

export function pageHtml(args: {
  results: Results;
  answers: Answer[];
  figures: PageFigure[];
  /** Tables in page order; the one with id 'starts' is linked from the answers. */
  tables: Table[];
  verdict: Verdict;
  vegaJs: string;
  source: string;
}): string {
  const { results, answers, figures, tables, verdict, vegaJs, source } = args;
  const specs = Object.fromEntries(figures.map((f) => [f.name, f.vega]));
  const m = results.metadata;
  const contents = [
    ...tables.map((t) => `<a href="#table-${t.id}">${esc(t.title.split(':')[0]!)}</a>`),
    ...figures.map((f) => `<a href="#figure-${f.name}">Figure: ${esc(f.title)}</a>`),
    '<a href="#metadata">Run</a>',
  ].join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>cfinit benchmark report</title><style>${STYLE}</style></head>
<body>
<header><h1>Does the closed-form start pay off?</h1>
<p class="lede">cfinit benchmark: closed-form starts against backprop from scratch; ${m.scenarios.length}
scenario${m.scenarios.length === 1 ? '' : 's'}, seeds ${esc(m.seeds.join(', '))}.${m.quick ? QUICK_NOTE : ''}
Generated by <code>cfinit report</code> from <code>${esc(source)}</code>.</p></header>
<p id="errors"></p>
${answersHtml(
  answers,
  tables.find((t) => t.id === 'starts'),
)}
<nav class="contents" aria-label="Contents">${contents}</nav>
<section id="verdict"><h2>Per scenario</h2><ul>
${verdict.sentences.map((s) => `<li>${esc(s)}</li>`).join('\n')}
</ul></section>
${tables.map((t) => tableSection(t, figures)).join('\n')}
${figures.map((f) => figureSection(f, tables)).join('\n')}
${metadataHtml(results)}
<div id="tooltip"></div>
<script>${inline(vegaJs)}</script>
<script type="application/json" id="specs">${inlineJson(specs)}</script>
<script type="application/json" id="theme">${inlineJson({ light: LIGHT, dark: DARK })}</script>
<script>${SCRIPT}</script>
</body></html>
`;
}
