import { parseProcStatCpu, parseProcStatus } from './process-memory.ts';

describe('parseProcStatus', () => {
  it('when VmRSS and VmHWM are present, then they are read in MiB', () => {
    const status = 'Name:\tnode\nVmPeak:\t 1200000 kB\nVmHWM:\t  153600 kB\nVmRSS:\t  102400 kB\n';
    expect(parseProcStatus(status)).toEqual({ rssMiB: 100, peakRssMiB: 150 });
  });

  it('when the fields are missing (a zombie), then it is undefined', () => {
    expect(parseProcStatus('Name:\tnode\nState:\tZ (zombie)\n')).toBeUndefined();
  });
});

describe('parseProcStatCpu', () => {
  it('when the command name holds spaces and parentheses, then utime + stime are read in seconds', () => {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
    const stat = '4242 (node (bench) x) S 1 4242 4242 0 -1 4194560 1200 0 3 0 250 75 0 0 20 0 11';
    expect(parseProcStatCpu(stat)).toBe(3.25);
  });

  it('when the line is cut short, then it is undefined', () => {
    expect(parseProcStatCpu('4242 (node) S 1')).toBeUndefined();
  });
});
