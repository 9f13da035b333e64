import { readFileSync } from 'node:fs';
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

/** The 1-minute load average before a scenario and the highest seen while it runs. */
export interface LoadSampler {
  start: number;
  /** Stops sampling; the start and the highest sample (the end included). */
  stop(): { start: number; max: number };
}

export function sampleLoad(
  intervalMs = 1_000,
  read: () => number = () => loadavg()[0] ?? 0,
): LoadSampler {
  const start = read();
  let max = start;
  const timer = setInterval(() => {
    max = Math.max(max, read());
  }, intervalMs);
  timer.unref();
  return {
    start,
    stop() {
      clearInterval(timer);
      max = Math.max(max, read());
      return { start, max };
    },
  };
}

/**
 * Quiet means a load average at the start of at most half the cores (1 on this project's 2-core
 * machine): above that, other work shares the CPUs and every figure understates the machine.
 */
export function quietThreshold(cpuCount: number): number {
  return Math.max(1, cpuCount / 2);
}

/** Whether the run started on a quiet machine, and a sentence saying so for the results. */
export function loadAtStart(machine: Machine): { ok: boolean; text: string } {
  const { start } = machine.loadAverage;
  const limit = quietThreshold(machine.cpus);
  const ok = start <= limit;
  return {
    ok,
    text: ok
      ? `Load average ${start.toFixed(2)} at the start: a quiet machine (at most ${limit} on ${machine.cpus} cores).`
      : `Load average ${start.toFixed(2)} at the start: NOT a quiet machine (above ${limit} on ${machine.cpus} cores), so every figure understates it.`,
  };
}

/** The whole machine's CPU time, every core summed, in seconds. */
export interface MachineCpu {
  /** Time not idle: every process, the kernel and what the hypervisor took (steal). */
  busy: number;
  total: number;
}

/**
 * The first line of /proc/stat (`cpu  user nice system idle iowait irq softirq steal …`, in
 * ticks of 1/100 s): busy is everything but idle and iowait. Guest time is inside user already.
 */
export function parseProcStat(text: string): MachineCpu | undefined {
  const fields = (text.split('\n', 1)[0] ?? '').trim().split(/\s+/);
  if (fields[0] !== 'cpu') return undefined;
  const ticks = fields.slice(1, 9).map(Number);
  if (ticks.length < 8 || ticks.some((tick) => !Number.isFinite(tick))) return undefined;
  const total = ticks.reduce((sum, tick) => sum + tick, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busy: (total - idle) / 100, total: total / 100 };
}

/** The machine's CPU time from /proc/stat (Linux); undefined elsewhere. */
export function machineCpu(): MachineCpu | undefined {
  try {
    return parseProcStat(readFileSync('/proc/stat', 'utf8'));
  } catch {
    return undefined;
  }
}
