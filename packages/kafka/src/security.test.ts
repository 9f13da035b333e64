import { kafkaSecurityOptions, type MskIamSigner } from './security.ts';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('kafkaSecurityOptions', () => {
  it('when no security is given, then the client is plaintext without SASL', () => {
    expect(kafkaSecurityOptions(undefined)).toEqual({});
    expect(kafkaSecurityOptions({ ssl: false })).toEqual({});
  });

  it('when TLS is on without a CA, then the system CAs are used', () => {
    expect(kafkaSecurityOptions({ ssl: true })).toEqual({ ssl: true });
  });

  it('when TLS is on with a CA bundle, then its contents are the only CA', () => {
    expect(kafkaSecurityOptions({ ssl: true, ca: PEM })).toEqual({ ssl: { ca: [PEM] } });
  });

  it.each(['scram-sha-256', 'scram-sha-512'] as const)(
    'when the mechanism is %s, then the client library gets the same name and credentials',
    (mechanism) => {
      expect(
        kafkaSecurityOptions({
          ssl: true,
          sasl: { mechanism, username: 'consumer', password: 'secret' },
        }),
      ).toEqual({ ssl: true, sasl: { mechanism, username: 'consumer', password: 'secret' } });
    },
  );

  it('when the mechanism is aws-msk-iam, then an OAUTHBEARER provider asks the signer for each token', async () => {
    const calls: { region: string }[] = [];
    const signer: MskIamSigner = async (request) => {
      calls.push(request);
      return { token: `token-${calls.length}` };
    };
    const options = kafkaSecurityOptions(
      { ssl: true, sasl: { mechanism: 'aws-msk-iam', region: 'eu-west-1' } },
      signer,
    );
    expect(options.ssl).toBe(true);
    const sasl = options.sasl as {
      mechanism: string;
      oauthBearerProvider: () => Promise<{ value: string }>;
    };
    expect(sasl.mechanism).toBe('oauthbearer');
    // Nothing is signed until the client authenticates.
    expect(calls).toEqual([]);
    await expect(sasl.oauthBearerProvider()).resolves.toEqual({ value: 'token-1' });
    // A reauthentication signs a fresh token rather than reusing one that may have expired.
    await expect(sasl.oauthBearerProvider()).resolves.toEqual({ value: 'token-2' });
    expect(calls).toEqual([{ region: 'eu-west-1' }, { region: 'eu-west-1' }]);
  });

  it('when the signer fails, then the provider rejects (the client reports an authentication error)', async () => {
    const signer: MskIamSigner = async () => {
      throw new Error('no credentials in the chain');
    };
    const { sasl } = kafkaSecurityOptions(
      { ssl: true, sasl: { mechanism: 'aws-msk-iam', region: 'us-east-1' } },
      signer,
    );
    await expect(
      (sasl as { oauthBearerProvider: () => Promise<unknown> }).oauthBearerProvider(),
    ).rejects.toThrow('no credentials in the chain');
  });
});
