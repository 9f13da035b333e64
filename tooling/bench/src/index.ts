export { renderChartSvg } from './chart.ts';
export {
  type BenchResult,
  type Check,
  type Metric,
  meetsTarget,
  metric,
  parseBenchResult,
  type ScenarioResult,
} from './result-schema.ts';
export { latencySummary, median, percentileOfSorted, ratio, summarize } from './stats.ts';
export { formatMarkdownTable, formatTextTable, TABLE_HEADER, tableRows } from './table.ts';
