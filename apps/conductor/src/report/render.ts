import type { ReleaseRecord } from './collect.js';
import { buildSections, type Block } from './model.js';
import { esc } from './svg.js';

// Markdown and HTML renderings of the same sections. The HTML is one self-contained file:
// inline CSS, inline SVG, no script, no external URL.

export type ReportFormat = 'md' | 'html';

const mdCell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ') || ' ';

function mdBlock(b: Block): string {
  switch (b.kind) {
    case 'kv': return ['| | |', '|---|---|', ...b.rows.map(([k, v]) => `| **${k}** | ${mdCell(v)} |`)].join('\n');
    case 'table': return [`| ${b.head.map(mdCell).join(' | ')} |`, `|${b.head.map(() => '---').join('|')}|`, ...b.rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`)].join('\n');
    case 'svg': return b.svg;
    case 'text': return b.text;
    case 'heading': return `### ${b.text}`;
    case 'fill-in': return b.prompts.map((p) => `- ${p}`).join('\n');
  }
}

export function renderMarkdown(r: ReleaseRecord): string {
  const parts = [`# Release record: ${r.release.id}`, `_${r.release.env} · ${r.release.version ?? r.release.ref} · ${r.release.state} · generated ${r.generatedAt} by ccr report_`];
  for (const s of buildSections(r)) parts.push(`## ${s.title}`, ...s.blocks.map(mdBlock));
  return `${parts.join('\n\n')}\n`;
}

function htmlBlock(b: Block): string {
  switch (b.kind) {
    case 'kv': return `<table class="kv">${b.rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>`;
    case 'table': return `<table><thead><tr>${b.head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${b.rows.map((r) => `<tr>${r.map((c) => `<td class="${/^(fail|failed|FAILED)$/.test(c) ? 'bad' : /^(pass|done|ok)$/.test(c) ? 'good' : ''}">${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
    case 'svg': return `<figure>${b.svg}</figure>`;
    case 'text': return `<p>${esc(b.text)}</p>`;
    case 'heading': return `<h3>${esc(b.text)}</h3>`;
    case 'fill-in': return `<ul class="fill">${b.prompts.map(() => '<li contenteditable="true"></li>').join('')}</ul>`;
  }
}

const CSS = `body{font-family:system-ui,sans-serif;max-width:1100px;margin:2rem auto;padding:0 1rem;color:#111}
h1{font-size:1.6rem}h2{border-bottom:2px solid #ddd;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.85rem;width:100%}th,td{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f5f5f5}table.kv{width:auto}table.kv th{width:11rem}.good{color:#047857}.bad{color:#b91c1c;font-weight:bold}
figure{margin:.5rem 0}ul.fill li{min-height:1.4rem;border-bottom:1px dotted #999;margin:.3rem 0}.meta{color:#555}
@media print{ul.fill li{border-bottom:1px solid #999}}`;

export function renderHtml(r: ReleaseRecord): string {
  const body = buildSections(r).map((s) => `<section><h2>${esc(s.title)}</h2>\n${s.blocks.map(htmlBlock).join('\n')}</section>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Release record ${esc(r.release.id)}</title><style>${CSS}</style></head>
<body><h1>Release record: ${esc(r.release.id)}</h1>
<p class="meta">${esc(`${r.release.env} · ${r.release.version ?? r.release.ref} · ${r.release.state} · generated ${r.generatedAt} by ccr report`)}</p>
${body}
</body></html>
`;
}

export function renderReport(r: ReleaseRecord, format: ReportFormat): string {
  return format === 'html' ? renderHtml(r) : renderMarkdown(r);
}
