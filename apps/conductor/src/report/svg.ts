// Small hand-written SVG charts for the release record: no dependency, no script, no external
// reference (not even the xmlns: the charts are inline in HTML), so the HTML report stays one
// self-contained file. Each point carries a <title> with its exact value (hover in a browser).

export interface Point {
  t: number;
  v: number | null;
  /** pass / fail / inconclusive, drawn as the marker's colour. */
  verdict?: string;
}

export interface Series {
  name: string;
  points: Point[];
}

export interface ChartOptions {
  title: string;
  series: Series[];
  /** A limit line, e.g. the error-rate threshold. */
  threshold?: number | null;
  format?: (v: number) => string;
  /** Draw series as steps (traffic weights hold until the next change). */
  step?: boolean;
  width?: number;
  height?: number;
  yMin?: number;
  yMax?: number;
}

const COLOURS = ['#2563eb', '#d97706', '#059669', '#7c3aed', '#db2777', '#0891b2'];
const VERDICT: Record<string, string> = { pass: '#059669', fail: '#dc2626', inconclusive: '#9ca3af' };

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const r1 = (n: number) => Math.round(n * 10) / 10;

function clock(t: number): string {
  return new Date(t).toISOString().slice(11, 19);
}

export function lineChart(o: ChartOptions): string {
  const W = o.width ?? 680;
  const H = o.height ?? 220;
  const pad = { l: 64, r: 160, t: 28, b: 32 };
  const fmt = o.format ?? ((v: number) => String(r1(v)));
  const pts = o.series.flatMap((s) => s.points);
  const values = pts.map((p) => p.v).filter((v): v is number => v !== null && Number.isFinite(v));
  if (o.threshold !== undefined && o.threshold !== null) values.push(o.threshold);
  const times = pts.map((p) => p.t);
  const t0 = Math.min(...times);
  const t1 = Math.max(...times);
  let y0 = o.yMin ?? Math.min(0, ...values);
  let y1 = o.yMax ?? Math.max(...values, y0 + 1e-9);
  if (y1 === y0) y1 = y0 + 1;
  if (!pts.length) { y0 = 0; y1 = 1; }
  const x = (t: number) => r1(pad.l + (t1 === t0 ? (W - pad.l - pad.r) / 2 : ((t - t0) / (t1 - t0)) * (W - pad.l - pad.r)));
  const y = (v: number) => r1(H - pad.b - ((v - y0) / (y1 - y0)) * (H - pad.t - pad.b));
  const out: string[] = [
    `<svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(o.title)}" font-family="sans-serif" font-size="11">`,
    `<title>${esc(o.title)}</title>`,
    `<text x="${pad.l}" y="16" font-size="13" font-weight="bold">${esc(o.title)}</text>`,
    `<line x1="${pad.l}" y1="${H - pad.b}" x2="${W - pad.r}" y2="${H - pad.b}" stroke="#888"/>`,
    `<line x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${H - pad.b}" stroke="#888"/>`,
  ];
  for (const v of [y0, (y0 + y1) / 2, y1]) {
    out.push(`<text x="${pad.l - 6}" y="${y(v) + 4}" text-anchor="end">${esc(fmt(v))}</text>`, `<line x1="${pad.l}" y1="${y(v)}" x2="${W - pad.r}" y2="${y(v)}" stroke="#eee"/>`);
  }
  if (pts.length) {
    out.push(`<text x="${pad.l}" y="${H - 12}">${clock(t0)}</text>`, `<text x="${W - pad.r}" y="${H - 12}" text-anchor="end">${clock(t1)} UTC</text>`);
  } else {
    out.push(`<text x="${(W - pad.r + pad.l) / 2}" y="${H / 2}" text-anchor="middle" fill="#888">no data</text>`);
  }
  if (o.threshold !== undefined && o.threshold !== null) {
    out.push(`<line x1="${pad.l}" y1="${y(o.threshold)}" x2="${W - pad.r}" y2="${y(o.threshold)}" stroke="#dc2626" stroke-dasharray="4 3"><title>limit ${esc(fmt(o.threshold))}</title></line>`,
      `<text x="${W - pad.r + 4}" y="${y(o.threshold) + 4}" fill="#dc2626">limit ${esc(fmt(o.threshold))}</text>`);
  }
  o.series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    const drawn = s.points.filter((p) => p.v !== null && Number.isFinite(p.v));
    if (drawn.length > 1) {
      const d = drawn.map((p, j) => (j === 0 ? `M${x(p.t)},${y(p.v!)}` : o.step ? `H${x(p.t)}V${y(p.v!)}` : `L${x(p.t)},${y(p.v!)}`)).join(' ');
      out.push(`<path d="${d}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    }
    for (const p of drawn) {
      const fill = p.verdict ? VERDICT[p.verdict] ?? colour : colour;
      out.push(`<circle cx="${x(p.t)}" cy="${y(p.v!)}" r="3.5" fill="${fill}"><title>${esc(s.name)} ${clock(p.t)}: ${esc(fmt(p.v!))}${p.verdict ? ` (${p.verdict})` : ''}</title></circle>`);
    }
    out.push(`<rect x="${W - pad.r + 8}" y="${pad.t + 16 + i * 16}" width="10" height="10" fill="${colour}"/>`, `<text x="${W - pad.r + 22}" y="${pad.t + 25 + i * 16}">${esc(s.name.slice(0, 24))}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
