import { parseCommand } from './args.ts';
import { CliError, ExitCode } from './errors.ts';
import { assertTokenTransport, isLoopbackHost } from './token-transport.ts';

const TOKEN = 'secret-token-0123456789';

function refusal(url: string, token = TOKEN): CliError | undefined {
  try {
    assertTokenTransport(url, token);
    return undefined;
  } catch (error) {
    return error as CliError;
  }
}

describe('the admin token on the wire', () => {
  it.each([
    'http://consumer.example/graphql',
    'http://kafka-ecs-test-1234.eu-west-1.elb.amazonaws.com/graphql',
    'http://10.0.2.15:9000/graphql',
    'http://128.0.0.1:9000/graphql',
    'http://127.0.0.1.example.com/graphql',
    'http://[::ffff:7f00:1]/graphql',
  ])(
    'when the token would go over plain http to %s, then the command is refused (exit 2)',
    (url) => {
      const error = refusal(url);
      expect(error).toBeInstanceOf(CliError);
      expect(error?.code).toBe(ExitCode.usage);
      expect(error?.message).toMatch(/^refusing to send the operator token over plain http to /);
      // The refusal names the host, never the token.
      expect(error?.message).not.toContain(TOKEN);
    },
  );

  it.each([
    'http://127.0.0.1:9000/graphql',
    'http://127.5.0.1:9000/graphql',
    'http://localhost:9000/graphql',
    'http://LOCALHOST:9000/graphql',
    'http://[::1]:9000/graphql',
    'https://consumer.example/graphql',
    'https://10.0.2.15/graphql',
  ])('when the token goes to %s (loopback, or https), then it is allowed', (url) => {
    expect(refusal(url)).toBeUndefined();
  });

  it('when there is no token, then plain http anywhere is left alone (nothing secret is sent)', () => {
    expect(() => assertTokenTransport('http://consumer.example/graphql', undefined)).not.toThrow();
  });

  it('when hostnames are classified, then only this machine is loopback', () => {
    expect(['localhost', 'api.localhost', '127.0.0.1', '[::1]', '::1'].map(isLoopbackHost)).toEqual(
      [true, true, true, true, true],
    );
    expect(
      ['localhost.example', '127.0.0.256', '127.0.0', '0.0.0.0', '::', 'example.com'].map(
        isLoopbackHost,
      ),
    ).toEqual([false, false, false, false, false, false]);
  });

  it('when the command line sends a token over http to a remote consumer, then parseCommand refuses it', () => {
    const env = { ADMIN_TOKEN: TOKEN, DLQ_URL: 'http://consumer.example/graphql' };
    expect(() => parseCommand(['list'], env)).toThrow(
      'refusing to send the operator token over plain http to consumer.example',
    );
    expect(() =>
      parseCommand(['replay', '--all', '--url', 'http://10.1.2.3/graphql'], { ADMIN_TOKEN: TOKEN }),
    ).toThrow(CliError);
    // help sends nothing; https and the local default are fine.
    expect(parseCommand(['help'], env).command).toEqual({ name: 'help' });
    expect(
      parseCommand(['list'], { ...env, DLQ_URL: 'https://consumer.example/graphql' }).settings,
    ).toMatchObject({ token: TOKEN });
    expect(parseCommand(['list'], { ADMIN_TOKEN: TOKEN }).settings.url).toBe(
      'http://127.0.0.1:9000/graphql',
    );
  });
});
