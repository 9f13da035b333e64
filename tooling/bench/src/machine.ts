import { cpus, loadavg, release, totalmem, type } from 'node:os';
import type { Machine } from './result-schema.ts';

/** The machine the figures were taken on (the load average is sampled again at the end). */
export function describeMachine(): Machine {
  const cores = cpus();
  return {
    cpuModel: cores[0]?.model.trim() ?? 'unknown',
    cpus: cores.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${type()} ${release()}`,
    node: process.version,
    loadAverage: { start: loadavg()[0] ?? 0, end: 0 },
  };
}
