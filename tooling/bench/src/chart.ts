import type { BenchResult, Metric } from './result-schema.ts';
import { formatNumber, scenarioTitle } from './table.ts';

const WIDTH = 1080;
const LABEL_WIDTH = 390;
const BAR_AREA = 480;
const ROW = 22;
const TITLE = 28;
const GAP = 14;
const COLORS = ['#3b6ea8', '#d1812f', '#4b9a5b', '#a8433b', '#7a5ba8'];

export function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}

/**
 * The run as an SVG: one block per scenario, one bar per figure (its median), with a whisker
 * from min to max. Bars are scaled per unit within a scenario, so the project's figure and the
 * Kafka tool's sit on one scale, while /s and ms never share one.
 */
export function renderChartSvg(result: BenchResult): string {
  const parts: string[] = [];
  let y = 56;
  for (const scenario of result.scenarios) {
    const metrics = scenario.metrics.filter((m) => m.median !== null);
    parts.push(
      `<text x="16" y="${y + 18}" class="title">${escapeXml(scenarioTitle(scenario))}</text>`,
    );
    y += TITLE;
    if (metrics.length === 0) {
      const note = scenario.notes[0] ?? 'no figures';
      parts.push(`<text x="32" y="${y + 14}" class="note">${escapeXml(note)}</text>`);
      y += ROW + GAP;
      continue;
    }
    const scale = unitScales(metrics);
    const units = [...scale.keys()];
    for (const m of metrics) {
      const full = scale.get(m.unit) ?? 1;
      const color = COLORS[units.indexOf(m.unit) % COLORS.length];
      const px = (value: number | null) =>
        value === null ? 0 : Math.max(0, (value / full) * BAR_AREA);
      const x0 = LABEL_WIDTH;
      const barWidth = px(m.median);
      parts.push(
        `<text x="${x0 - 8}" y="${y + 15}" class="label" text-anchor="end">${escapeXml(`${m.name} (${m.unit})`)}</text>`,
        `<rect x="${x0}" y="${y + 4}" width="${barWidth.toFixed(1)}" height="${ROW - 8}" fill="${color}"/>`,
      );
      const varies = m.min !== null && m.max !== null && m.max > m.min;
      if (varies) {
        const [a, b] = [x0 + px(m.min), x0 + px(m.max)];
        const mid = y + ROW / 2;
        parts.push(
          `<path d="M${a.toFixed(1)} ${mid}H${b.toFixed(1)}M${a.toFixed(1)} ${mid - 5}V${mid + 5}M${b.toFixed(1)} ${mid - 5}V${mid + 5}" class="whisker"/>`,
        );
      }
      const range = varies ? ` (${formatNumber(m.min)}–${formatNumber(m.max)})` : '';
      parts.push(
        `<text x="${x0 + Math.max(barWidth, px(m.max)) + 8}" y="${y + 15}" class="value">${escapeXml(`${formatNumber(m.median)}${range}`)}</text>`,
      );
      y += ROW;
    }
    y += GAP;
  }
  const height = y + 24;
  const subtitle = `${result.mode} run, ${result.startedAt} · ${result.machine.cpus} × ${result.machine.cpuModel}, ${result.machine.memoryGiB} GiB · medians, whiskers min–max`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, sans-serif">`,
    '<style>.title{font-size:15px;font-weight:600}.label{font-size:12px;fill:#333}.value{font-size:12px;fill:#111}.note{font-size:12px;fill:#888;font-style:italic}.whisker{stroke:#111;stroke-width:1.2;fill:none}.h{font-size:18px;font-weight:700}.sub{font-size:12px;fill:#555}</style>',
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    '<text x="16" y="26" class="h">pnpm bench: throughput and latency</text>',
    `<text x="16" y="44" class="sub">${escapeXml(subtitle)}</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

/** The largest value shown per unit, so each unit's bars fill the bar area at most. */
function unitScales(metrics: readonly Metric[]): Map<string, number> {
  const scales = new Map<string, number>();
  for (const m of metrics) {
    const top = Math.max(m.median ?? 0, m.max ?? 0);
    scales.set(m.unit, Math.max(scales.get(m.unit) ?? 0, top));
  }
  for (const [unit, top] of scales) if (!(top > 0)) scales.set(unit, 1);
  return scales;
}
