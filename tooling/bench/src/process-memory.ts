import { readFileSync } from 'node:fs';

export interface ProcessMemory {
  /** Resident set size now, MiB. */
  rssMiB: number;
  /** Peak resident set size since the process started (the kernel's high-water mark), MiB. */
  peakRssMiB: number;
}

/** Reads VmRSS and VmHWM (kB) from the text of /proc/<pid>/status. */
export function parseProcStatus(status: string): ProcessMemory | undefined {
  const kib = (field: string) => {
    const match = status.match(new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm'));
    return match ? Number(match[1]) : undefined;
  };
  const rss = kib('VmRSS');
  const peak = kib('VmHWM');
  if (rss === undefined || peak === undefined) return undefined;
  return { rssMiB: rss / 1024, peakRssMiB: peak / 1024 };
}

/** The process's memory from /proc (Linux); undefined elsewhere or once it has exited. */
export function processMemory(pid: number | undefined): ProcessMemory | undefined {
  return readProc(pid, 'status', parseProcStatus);
}

/** `parse` of /proc/<pid>/<file>; undefined elsewhere or once the process has exited. */
function readProc<T>(
  pid: number | undefined,
  file: string,
  parse: (text: string) => T | undefined,
): T | undefined {
  if (pid === undefined) return undefined;
  try {
    return parse(readFileSync(`/proc/${pid}/${file}`, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * CPU time (user + system) the process has used, in seconds, from /proc/<pid>/stat; undefined
 * elsewhere or once it has exited. Its fields 14 and 15 count clock ticks of 1/100 s (USER_HZ,
 * fixed at 100 in Linux's user ABI).
 */
export function processCpuSeconds(pid: number | undefined): number | undefined {
  return readProc(pid, 'stat', parseProcStatCpu);
}

/** utime + stime of a /proc/<pid>/stat line, in seconds. */
export function parseProcStatCpu(stat: string): number | undefined {
  // The command name (field 2) is in parentheses and may hold spaces: count from after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return (utime + stime) / 100;
}
