import { commandMicroseconds } from './redis-keys.ts';

const COMMANDSTATS = [
  '# Commandstats',
  'cmdstat_hset:calls=360006,usec=1354949,usec_per_call=3.76,rejected_calls=0,failed_calls=0',
  'cmdstat_evalsha:calls=1337,usec=9018018,usec_per_call=6744.96,rejected_calls=0,failed_calls=0',
  'cmdstat_eval:calls=24,usec=106240,usec_per_call=4426.67,rejected_calls=0,failed_calls=0',
  'cmdstat_evalsha_ro:calls=2,usec=77,usec_per_call=38.50,rejected_calls=0,failed_calls=0',
  'cmdstat_client|setname:calls=6,usec=18,usec_per_call=3.00,rejected_calls=0,failed_calls=0',
  '',
].join('\r\n');

describe('commandMicroseconds', () => {
  it('when the commands have lines, then their usec are summed and no other line counts', () => {
    expect(commandMicroseconds(COMMANDSTATS, ['eval', 'evalsha'])).toBe(9_018_018 + 106_240);
  });

  it('when one command is asked for, then only its own line counts, not one its name begins', () => {
    expect(commandMicroseconds(COMMANDSTATS, ['eval'])).toBe(106_240);
    expect(commandMicroseconds(COMMANDSTATS, ['evalsha'])).toBe(9_018_018);
  });

  it('when a command has not run yet, then it counts 0', () => {
    expect(commandMicroseconds(COMMANDSTATS, ['fcall'])).toBe(0);
    expect(commandMicroseconds('# Commandstats\r\n', ['evalsha'])).toBe(0);
  });
});
