import { ConfigError } from './load-config.ts';
import { exitOnStartFailure } from './start-failure.ts';

function failWith(error: unknown) {
  const printed: unknown[][] = [];
  const exits: number[] = [];
  exitOnStartFailure('producer', {
    error: (...data) => printed.push(data),
    exit: (code) => exits.push(code),
  })(error);
  return { printed, exits };
}

describe('exitOnStartFailure', () => {
  it('when the configuration is invalid, then only its message is printed and the exit code is 1', () => {
    const { printed, exits } = failWith(new ConfigError('invalid configuration: PORT: too big'));
    expect(printed).toEqual([['invalid configuration: PORT: too big']]);
    expect(exits).toEqual([1]);
  });

  it('when anything else fails, then the error itself is printed under the service name and the exit code is 1', () => {
    const error = new Error('connect ECONNREFUSED 127.0.0.1:6379');
    const { printed, exits } = failWith(error);
    expect(printed).toEqual([['producer failed to start:', error]]);
    expect(exits).toEqual([1]);
  });
});
