import {
  CREATE_USER,
  codeOf,
  LOGIN,
  newUser,
  startTestProducer,
  type TestProducer,
} from './support/harness.ts';

const fullWidth = (text: string) =>
  [...text]
    .map((c) => (/[!-~]/.test(c) ? String.fromCharCode(c.charCodeAt(0) + 0xfee0) : c))
    .join('');

describe('login', () => {
  let producer: TestProducer;
  beforeAll(async () => {
    producer = await startTestProducer({ settings: { loginMaxFailures: 3 } });
  });
  afterAll(async () => {
    await producer?.close();
  });

  it('when the username comes in another case, width or with padding, then it logs in as the stored user, and its failures count for that user', async () => {
    const ada = newUser();
    const created = await producer.graphql(CREATE_USER, { input: ada });
    expect(created.body.errors).toBeUndefined();
    const id = created.body.data.createUser.id;
    for (const variant of [
      ada.username.toUpperCase(),
      fullWidth(ada.username),
      ` ${ada.username} `,
    ]) {
      const { body } = await producer.graphql(LOGIN, { username: variant, password: ada.password });
      expect({ variant, errors: body.errors, user: body.data?.login.user }).toEqual({
        variant,
        errors: undefined,
        user: { id, username: ada.username },
      });
    }
    // The throttle and the store agree: three failures under variants lock the stored name.
    for (const variant of [ada.username.toUpperCase(), fullWidth(ada.username), ada.username]) {
      const { body } = await producer.graphql(LOGIN, {
        username: variant,
        password: 'wrong password',
      });
      expect(codeOf(body)).toBe('UNAUTHENTICATED');
    }
    const locked = await producer.graphql(LOGIN, {
      username: ada.username,
      password: ada.password,
    });
    expect(codeOf(locked.body)).toBe('TOO_MANY_REQUESTS');
  });
});
