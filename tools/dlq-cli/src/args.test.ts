import { parseCommand, REPLAY_IDS_MAX } from './args.ts';
import { CliError, ExitCode } from './errors.ts';

const now = new Date('2026-11-21T12:00:00.000Z');
const parse = (argv: string, env: Record<string, string> = {}) =>
  parseCommand(argv.split(' ').filter(Boolean), env, now);
const usageError = (argv: string) => {
  try {
    parse(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).code).toBe(ExitCode.usage);
    return (error as CliError).message;
  }
  throw new Error(`${argv} was accepted`);
};

describe('dlq command line', () => {
  it('when list has filters with ages, then they become ISO times and the defaults apply', () => {
    expect(
      parse(
        'list --topic new-user-created --reason exhausted --error timeout --key u-1 --since 6h',
      ),
    ).toEqual({
      command: {
        name: 'list',
        filters: {
          topic: 'new-user-created',
          reason: 'exhausted',
          errorContains: 'timeout',
          key: 'u-1',
          since: '2026-11-21T06:00:00.000Z',
          until: undefined,
        },
        limit: 50,
        json: false,
      },
      settings: { url: 'http://127.0.0.1:9000/graphql', token: undefined },
    });
  });

  it('when replay has ids, then it is a dry run unless --yes, and the token comes from the environment', () => {
    const { command, settings } = parse('replay a:0:1 b:2:3 --rate 20', {
      ADMIN_TOKEN: 'secret-token-0123456789',
      DLQ_URL: 'https://consumer.example/graphql',
    });
    expect(command).toMatchObject({
      name: 'replay',
      ids: ['a:0:1', 'b:2:3'],
      all: false,
      yes: false,
      rate: 20,
    });
    expect(settings).toEqual({
      url: 'https://consumer.example/graphql',
      token: 'secret-token-0123456789',
    });
    expect(parse('replay --all --reason non-retryable --yes').command).toMatchObject({
      all: true,
      yes: true,
      filters: { reason: 'non-retryable' },
    });
  });

  it('when bulk replay, discard or audit is asked, then dry run is the default, discard needs a reason and DLQ_TOKEN wins', () => {
    expect(parse('replay --all --topic t').command).toMatchObject({
      all: true,
      yes: false,
      rate: 10,
    });
    expect(parse('replay --all --dry-run').command).toMatchObject({ yes: false });
    expect(parse('replay --all --no-dry-run --limit 30').command).toMatchObject({
      yes: true,
      limit: 30,
    });
    expect(usageError('replay --all --yes --dry-run')).toBe(
      '--yes and --dry-run contradict each other',
    );
    expect(parse('discard t:0:1 --reason exhausted').command).toEqual({
      name: 'discard',
      id: 't:0:1',
      reason: 'exhausted',
    });
    expect(parse('discard t:0:1 --reason garbage-from-upstream').command).toMatchObject({
      reason: 'garbage-from-upstream',
    });
    expect(usageError('discard t:0:1')).toBe(
      'discard needs --reason TEXT: it is kept in the audit',
    );
    expect(usageError('discard --reason why')).toBe('discard takes exactly one id');
    expect(parse('audit').command).toEqual({ name: 'audit', limit: 50, json: false });
    expect(
      parse('audit --limit 5', {
        DLQ_TOKEN: 'alice-token-0123456789',
        ADMIN_TOKEN: 'admin-token-0123456789',
      }).settings.token,
    ).toBe('alice-token-0123456789');
  });

  it('when the command line is wrong, then the error names the problem and the exit code is 2', () => {
    expect(usageError('list --reason bored')).toBe(
      '--reason must be one of exhausted, non-retryable',
    );
    expect(usageError('list --since yesterday')).toMatch(/--since must be an ISO 8601 time/);
    expect(usageError('list --until 99999999999d')).toBe(
      '--until is further back than a date can go',
    );
    expect(usageError('replay')).toBe('replay takes ids, or --all with filters (not both)');
    expect(usageError('replay x:0:1 --all')).toBe(
      'replay takes ids, or --all with filters (not both)',
    );
    const ids = (count: number) => Array.from({ length: count }, (_, i) => `t:0:${i}`).join(' ');
    expect(parse(`replay ${ids(REPLAY_IDS_MAX)}`).command).toMatchObject({ name: 'replay' });
    expect(usageError(`replay ${ids(REPLAY_IDS_MAX + 1)}`)).toBe(
      'replay takes at most 500 ids; use --all with filters for more',
    );
    expect(usageError('show')).toBe('show takes exactly one id');
    expect(usageError('list --limit 0')).toBe('--limit must be a number > 0');
    expect(usageError('purge')).toBe('unknown command purge (see --help)');
    expect(usageError('list --token abc')).toMatch(/Unknown option '--token'/);
    expect(usageError('list --url ftp://x')).toMatch(/--url must be an http\(s\) URL/);
  });

  it('when asked for help or given nothing, then it is help', () => {
    expect(parse('').command).toEqual({ name: 'help' });
    expect(parse('list --help').command).toEqual({ name: 'help' });
  });
});
