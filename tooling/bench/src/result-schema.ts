import { z } from 'zod';
import { ratio, type Summary, summarize } from './stats.ts';

/** A goal from issue #7 that a figure is compared with (reported, never asserted). */
export const targetSchema = z.object({
  comparison: z.enum(['atLeast', 'atMost']),
  value: z.number(),
});

/** One figure of a scenario: the median of its runs, with min and max. */
export const metricSchema = z.object({
  /** What it measures, e.g. "project publisher" or "p99". */
  name: z.string().min(1),
  /** e.g. "records/s", "req/s", "ms", "MB", "×". */
  unit: z.string().min(1),
  median: z.number().nullable(),
  min: z.number().nullable(),
  max: z.number().nullable(),
  runs: z.array(z.number().nullable()),
  target: targetSchema.optional(),
  /**
   * Set on a ratio to the machine's ceiling for the same work, measured in the same run: the
   * path it is the ratio of (one bar of the ceilings chart).
   */
  path: z.string().min(1).optional(),
});

export const checkSchema = z.object({
  name: z.string().min(1),
  ok: z.boolean(),
  detail: z.string(),
});

export const scenarioResultSchema = z.object({
  id: z.string().regex(/^[a-z0-9-]+$/),
  title: z.string().min(1),
  status: z.enum(['ok', 'failed', 'skipped']),
  /** Why it failed or was skipped, or how it was measured. */
  notes: z.array(z.string()),
  metrics: z.array(metricSchema),
  checks: z.array(checkSchema),
  durationMs: z.number().nonnegative(),
  /** 1-minute load average before the scenario and the highest sampled while it ran. */
  load: z.object({ start: z.number(), max: z.number() }).optional(),
  /** With `--profile`: its largest self-time costs over the processes it profiled, heaviest first. */
  topCosts: z.array(z.string()).optional(),
});

export const machineSchema = z.object({
  cpuModel: z.string(),
  cpus: z.number().int().positive(),
  memoryGiB: z.number().positive(),
  os: z.string(),
  node: z.string(),
  /** 1-minute load average at the start and at the end of the run. */
  loadAverage: z.object({ start: z.number(), end: z.number() }),
});

export const benchResultSchema = z.object({
  schemaVersion: z.literal(1),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime(),
  mode: z.enum(['quick', 'full']),
  machine: machineSchema,
  /** The knobs of this run (record counts, connections, durations, scrypt costs…). */
  settings: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  scenarios: z.array(scenarioResultSchema),
});

export type Target = z.infer<typeof targetSchema>;
export type Metric = z.infer<typeof metricSchema>;
export type Check = z.infer<typeof checkSchema>;
export type ScenarioResult = z.infer<typeof scenarioResultSchema>;
export type Machine = z.infer<typeof machineSchema>;
export type BenchResult = z.infer<typeof benchResultSchema>;

/** Validates a results file (e.g. one written by an earlier run). */
export function parseBenchResult(json: unknown): BenchResult {
  return benchResultSchema.parse(json);
}

/**
 * A metric from its runs. Runs that produced no number (NaN, e.g. a reference tool that
 * failed) are kept as null and left out of median, min and max.
 */
export function metric(
  name: string,
  unit: string,
  runs: readonly number[],
  target?: Target,
  path?: string,
): Metric {
  const finite = runs.filter((value) => Number.isFinite(value));
  const summary: Summary | undefined = finite.length > 0 ? summarize(finite) : undefined;
  return {
    name,
    unit,
    median: summary?.median ?? null,
    min: summary?.min ?? null,
    max: summary?.max ?? null,
    runs: runs.map((value) => (Number.isFinite(value) ? value : null)),
    ...(target ? { target } : {}),
    ...(path ? { path } : {}),
  };
}

/**
 * The ratio of each run's figure to the ceiling measured next to it (NaN where either is
 * missing), as a metric on the ceilings chart under `path`.
 */
export function ceilingRatio(
  path: string,
  name: string,
  figures: readonly number[],
  ceilings: readonly number[],
  target?: Target,
): Metric {
  const ratios = figures.map((figure, index) => ratio(figure, ceilings[index] ?? Number.NaN));
  return metric(name, '×', ratios, target, path);
}

/** Whether a metric's median meets its target; undefined when it has no target or no value. */
export function meetsTarget(m: Metric): boolean | undefined {
  if (!m.target || m.median === null) return undefined;
  return m.target.comparison === 'atLeast'
    ? m.median >= m.target.value
    : m.median <= m.target.value;
}
