import { EVENT_TOPICS } from '@kafka-ecs/events';
import {
  type ServiceProcess,
  startGroupAtEnd,
  startServiceProcess,
  uniqueName,
  waitFor,
} from '@kafka-ecs/testing';
import {
  blockOffsite,
  launchTestBrowser,
  recordCspViolations,
  screenshotOnFailure,
} from '@kafka-ecs/testing/browser';
import type { Browser, Page } from 'playwright-core';
import { viewKeys } from '../src/infra/view-keys.ts';
import {
  createIsolation,
  graphql,
  isolation,
  OPERATOR_TOKEN,
  startTestConsumer,
  type TestConsumer,
} from './support/harness.ts';

// What the browser showed when the test failed, for a person to look at (git-ignored).
const SCREENSHOT = `${import.meta.dirname}/../.ide-test.png`;
// Longer than the producer's PUBLISH_TIMEOUT_MS (5 s), so a slow publish is not cut off.
const PRODUCER_MUTATION_TIMEOUT_MS = 15_000;
// Every wait on the page: GraphiQL's first render parses megabytes of inlined code.
const PAGE_WAIT_MS = 20_000;

/** GETs `url` with `headers`, bounded like the harness's probes. */
const get = (url: string, headers: Record<string, string>) =>
  fetch(url, { headers, signal: AbortSignal.timeout(5_000) });

/** Replaces what the Monaco editor under `container` holds with `text`, as a person pasting. */
async function replaceEditorText(page: Page, container: string, text: string): Promise<void> {
  const editor = page.locator(`${container} .monaco-editor`).first();
  await editor.waitFor({ timeout: PAGE_WAIT_MS });
  await editor.click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
}

describe('the consumer GraphQL IDE over HTTP', () => {
  let consumer: TestConsumer | undefined;
  afterEach(async () => {
    await consumer?.close();
    consumer = undefined;
  });

  it('when the IDE is off, then a browser GET gets neither the IDE nor Apollo landing page, and a GET query is still answered', async () => {
    consumer = await startTestConsumer(await createIsolation(), { graphqlIde: false });
    const page = await get(`${consumer.url}/graphql`, { accept: 'text/html' });
    const body = await page.text();
    expect(page.status).toBe(400);
    expect(page.headers.get('content-type')).not.toMatch(/text\/html/);
    // Apollo's answer to a GET with no query (JSON), not its landing page (HTML loading Sandbox).
    expect(JSON.parse(body).errors).toHaveLength(1);
    expect(body).not.toMatch(/<script|embeddable-sandbox|apollographql\.com/i);

    const query = await get(
      `${consumer.url}/graphql?query=${encodeURIComponent('{ __typename }')}`,
      {
        'apollo-require-preflight': 'true',
      },
    );
    expect(await query.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('when the IDE is on, then a browser GET gets the page with no off-site asset and headers that keep it from being framed', async () => {
    consumer = await startTestConsumer(await createIsolation(), { graphqlIde: true });
    const page = await get(`${consumer.url}/graphql`, {
      accept: 'text/html,application/xhtml+xml',
    });
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('content-security-policy')).toMatch(
      /^default-src 'none'; script-src 'sha256-[\w+/=]+';.*; connect-src 'self';.*; frame-ancestors 'none'$/,
    );
    expect(html).toContain('"subscriptionsProtocol":"WS"');
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=["']https?:/);

    const json = await get(`${consumer.url}/graphql`, { accept: 'application/json' });
    expect(json.headers.get('content-type')).not.toMatch(/text\/html/);
  });
});

describe('the consumer GraphQL IDE in a browser', () => {
  let producer: ServiceProcess | undefined;
  let consumer: TestConsumer | undefined;
  let browser: Browser | undefined;
  const iso = { ...isolation(), userTopic: EVENT_TOPICS[0], tokenTopic: EVENT_TOPICS[1] };
  beforeAll(async () => {
    // The producer publishes to the contract topics, shared with other runs: this test's group
    // starts at their current end instead of reading their whole history.
    await startGroupAtEnd(iso.groupId, EVENT_TOPICS);
    producer = await startServiceProcess({
      cwd: `${import.meta.dirname}/../../producer`,
      env: { REDIS_KEY_PREFIX: `${uniqueName('producer')}:`, SCRYPT_COST: '1024' },
    });
    consumer = await startTestConsumer(iso, { graphqlIde: true });
    browser = await launchTestBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await consumer?.close();
    await producer?.stop();
  });

  it('when a person pastes an operator token with no internet, then a query answers and a subscription receives a user created through the producer', async () => {
    const service = consumer as TestConsumer;
    const page = await (browser as Browser).newPage();
    // No internet: anything not served by the consumer itself is refused and recorded.
    const offsite = await blockOffsite(page, service.url);
    const refused = recordCspViolations(page);
    const response = page.locator('.graphiql-response');
    // GraphiQL reads the operation's name from the editor a moment after an edit: run once the
    // active tab is named after it, not with the previous one's name.
    const run = async (operationName: string) => {
      await page
        .locator('.graphiql-tab-active', { hasText: operationName })
        .waitFor({ timeout: PAGE_WAIT_MS });
      await page.locator('.graphiql-execute-button').click();
    };
    const username = uniqueName('ide').toLowerCase().slice(0, 40);

    await screenshotOnFailure(page, SCREENSHOT, async () => {
      await page.goto(`${service.url}/graphql`);
      await replaceEditorText(
        page,
        '.graphiql-query-editor',
        'query Count { users(first: 1) { totalCount } }',
      );
      await run('Count');
      // Without a token the read is refused: what follows proves the pasted one is sent.
      await response.getByText('UNAUTHENTICATED').first().waitFor({ timeout: PAGE_WAIT_MS });

      await page.locator('.graphiql-editor-tools').getByRole('button', { name: 'Headers' }).click();
      await replaceEditorText(
        page,
        '.graphiql-editor-tool .graphiql-editor:not(.hidden)',
        `{ "Authorization": "Bearer ${OPERATOR_TOKEN}" }`,
      );
      await run('Count');
      await response.getByText('totalCount').first().waitFor({ timeout: PAGE_WAIT_MS });
      expect(await response.textContent()).not.toContain('UNAUTHENTICATED');

      await replaceEditorText(
        page,
        '.graphiql-query-editor',
        'subscription Changes { userNotification { id username } }',
      );
      await run('Changes');
      // The subscription is live once the consumer listens on this test's channel.
      const channel = viewKeys(iso.viewPrefix).notifications;
      await waitFor(
        async () => {
          const [, listeners] = (await service.redis.pubsub('NUMSUB', channel)) as [string, number];
          return listeners > 0;
        },
        { timeoutMs: PAGE_WAIT_MS, description: 'the page subscribed over WebSocket' },
      );

      const created = await graphql(
        `${(producer as ServiceProcess).url}/producer-svc`,
        `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`,
        {
          input: { username, email: `${username}@example.com`, password: 'correct horse battery' },
        },
        { token: null, timeoutMs: PRODUCER_MUTATION_TIMEOUT_MS },
      );
      expect(created.errors).toBeUndefined();
      await response.getByText(username).first().waitFor({ timeout: PAGE_WAIT_MS });
    });
    // The pasted token lives in the page only: nothing the browser keeps holds it.
    const stored = await page.evaluate(() =>
      JSON.stringify({ ...localStorage, ...sessionStorage }),
    );
    expect(stored).not.toContain(OPERATOR_TOKEN);
    expect(offsite).toEqual([]);
    expect(refused).toEqual([]);
  }, 120_000);
});
