import {
  createIsolation,
  OPERATOR_TOKEN,
  startTestConsumer,
  type TestConsumer,
} from './support/harness.ts';

describe('consumer GraphQL limits', () => {
  let service: TestConsumer;

  beforeAll(async () => {
    service = await startTestConsumer(await createIsolation());
  });
  afterAll(async () => {
    await service?.close();
  });

  const post = async (query: string) => {
    const response = await fetch(`${service.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${OPERATOR_TOKEN}` },
      body: JSON.stringify({ query }),
    });
    return {
      status: response.status,
      body: (await response.json()) as { errors?: { message: string }[] },
    };
  };

  it('when a query floods aliases, then it is refused before anything runs', async () => {
    const aliases = Array.from({ length: 50 }, (_, i) => `a${i}: users(first: 100) { totalCount }`);
    const { status, body } = await post(`{ ${aliases.join(' ')} }`);
    expect(status).toBe(400);
    expect(body.errors?.[0]?.message).toMatch(/aliases limit of 10 exceeded/i);
  });

  it('when a document is deep nesting just under the body limit, then it is refused with a clear 400, not a stack overflow', async () => {
    const huge = await post(`{ ${'users { nodes { '.repeat(3_000)}id${' } }'.repeat(3_000)} }`);
    expect(huge.status).toBe(400);
    expect(huge.body.errors?.[0]?.message).toMatch(/more that 2000 tokens/);
  });

  it('when a body is over 64 KiB, then it is refused with 413 before it is parsed', async () => {
    const { status, body } = await post(`{ __typename } # ${'x'.repeat(100_000)}`);
    expect(status).toBe(413);
    expect(body).toMatchObject({ code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 });
  });

  it('when a normal query asks for users and dead letters, then it is answered', async () => {
    const { status, body } = await post(
      '{ users(first: 5) { totalCount } deadLetters(first: 5) { totalCount nodes { history { at } } } }',
    );
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
  });
});
