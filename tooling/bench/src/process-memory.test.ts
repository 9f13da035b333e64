import { parseProcStatus } from './process-memory.ts';

describe('parseProcStatus', () => {
  it('when VmRSS and VmHWM are present, then they are read in MiB', () => {
    const status = 'Name:\tnode\nVmPeak:\t 1200000 kB\nVmHWM:\t  153600 kB\nVmRSS:\t  102400 kB\n';
    expect(parseProcStatus(status)).toEqual({ rssMiB: 100, peakRssMiB: 150 });
  });

  it('when the fields are missing (a zombie), then it is undefined', () => {
    expect(parseProcStatus('Name:\tnode\nState:\tZ (zombie)\n')).toBeUndefined();
  });
});
