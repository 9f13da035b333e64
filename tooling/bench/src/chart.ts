import { loadAtStart } from './machine.ts';
import type { BenchResult, Metric } from './result-schema.ts';
import { formatNumber, formatTarget, scenarioTitle } from './table.ts';

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
        parts.push(whisker(x0 + px(m.min), x0 + px(m.max), y + ROW / 2));
      }
      const range = varies ? ` (${formatNumber(m.min)}–${formatNumber(m.max)})` : '';
      parts.push(
        `<text x="${x0 + Math.max(barWidth, px(m.max)) + 8}" y="${y + 15}" class="value">${escapeXml(`${formatNumber(m.median)}${range}`)}</text>`,
      );
      y += ROW;
    }
    y += GAP;
  }
  return svgDocument({
    height: y + 24,
    style:
      '.title{font-size:15px;font-weight:600}.label{font-size:12px;fill:#333}.value{font-size:12px;fill:#111}.note{font-size:12px;fill:#888;font-style:italic}',
    heading: 'pnpm bench: throughput and latency',
    subtitle: `${result.mode} run, ${result.startedAt} · ${result.machine.cpus} × ${result.machine.cpuModel}, ${result.machine.memoryGiB} GiB · medians, whiskers min–max`,
    subtitleY: 44,
    parts,
  });
}

/** A whisker from `a` to `b` at height `mid`, with end ticks. */
function whisker(a: number, b: number, mid: number): string {
  return `<path d="M${a.toFixed(1)} ${mid}H${b.toFixed(1)}M${a.toFixed(1)} ${mid - 5}V${mid + 5}M${b.toFixed(1)} ${mid - 5}V${mid + 5}" class="whisker"/>`;
}

/** The SVG around a chart's parts: size, styles (whisker, heading, subtitle shared), heading. */
function svgDocument(chart: {
  height: number;
  style: string;
  heading: string;
  subtitle: string;
  subtitleY: number;
  parts: readonly string[];
}): string {
  const { height } = chart;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, sans-serif">`,
    `<style>${chart.style}.whisker{stroke:#111;stroke-width:1.2;fill:none}.h{font-size:18px;font-weight:700}.sub{font-size:12px;fill:#555}</style>`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="16" y="26" class="h">${escapeXml(chart.heading)}</text>`,
    `<text x="16" y="${chart.subtitleY}" class="sub">${escapeXml(chart.subtitle)}</text>`,
    ...chart.parts,
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

const CEILING_LABEL_WIDTH = 330;
const CEILING_BAR_AREA = 560;
const CEILING_ROW = 30;

/**
 * The headline chart: one bar per path, its median ratio to the machine's ceiling for the same
 * work measured in the same run (1.0 = as fast as the machine does that work without the
 * project), whiskers from min to max, and its target as a dashed tick.
 */
export function renderCeilingsSvg(result: BenchResult): string {
  const ratios = result.scenarios.flatMap((scenario) =>
    scenario.metrics.filter((m) => m.path !== undefined && m.median !== null),
  );
  const top = Math.max(1, ...ratios.map((m) => Math.max(m.max ?? 0, m.target?.value ?? 0)));
  const x0 = CEILING_LABEL_WIDTH;
  const px = (value: number) => x0 + (Math.max(0, value) / top) * CEILING_BAR_AREA;
  const parts: string[] = [];
  let y = 70;
  for (const m of ratios) {
    const median = m.median ?? 0;
    parts.push(
      `<text x="${x0 - 10}" y="${y + 19}" class="label" text-anchor="end">${escapeXml(m.path ?? m.name)}</text>`,
      `<rect x="${x0}" y="${y + 6}" width="${(px(median) - x0).toFixed(1)}" height="${CEILING_ROW - 12}" fill="${COLORS[0]}"/>`,
    );
    if (m.min !== null && m.max !== null && m.max > m.min) {
      parts.push(whisker(px(m.min), px(m.max), y + CEILING_ROW / 2));
    }
    if (m.target) {
      const t = px(m.target.value).toFixed(1);
      parts.push(`<path d="M${t} ${y + 2}V${y + CEILING_ROW - 2}" class="target"/>`);
    }
    const target = m.target ? ` (target ${formatTarget(m)})` : '';
    parts.push(
      `<text x="${(Math.max(px(median), px(m.max ?? 0), px(m.target?.value ?? 0)) + 8).toFixed(1)}" y="${y + 19}" class="value">${escapeXml(`${formatNumber(median)}×${target}`)}</text>`,
    );
    y += CEILING_ROW;
  }
  if (ratios.length === 0) {
    parts.push(
      `<text x="16" y="${y + 18}" class="note">no path was measured against a ceiling</text>`,
    );
    y += CEILING_ROW;
  }
  const ceiling = px(1).toFixed(1);
  parts.push(
    `<path d="M${ceiling} 62V${y + 4}" class="ceiling"/>`,
    `<text x="${ceiling}" y="${y + 20}" class="note" text-anchor="middle">1.0 = the machine's ceiling for the same work</text>`,
  );
  const { machine } = result;
  const quiet = loadAtStart(machine).ok ? 'quiet' : 'NOT quiet';
  return svgDocument({
    height: y + 40,
    style:
      '.label{font-size:13px;fill:#333}.value{font-size:12px;fill:#111}.note{font-size:12px;fill:#666;font-style:italic}.target{stroke:#a8433b;stroke-width:2;stroke-dasharray:4 3}.ceiling{stroke:#555;stroke-width:1}',
    heading: 'pnpm bench: each path as a share of what this machine can do',
    subtitle: `${result.mode} run, ${result.startedAt} · ${machine.cpus} × ${machine.cpuModel} · load ${machine.loadAverage.start.toFixed(2)} at start (${quiet}) · medians, whiskers min–max, dashed: target`,
    subtitleY: 46,
    parts,
  });
}
