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
  if (pid === undefined) return undefined;
  try {
    return parseProcStatus(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return undefined;
  }
}
