import { readTopic } from '@kafka-ecs/testing';
import { type Browser, chromium } from 'playwright-core';
import { newUser, startTestProducer, type TestProducer } from './support/harness.ts';

// Debian's chromium, installed by scripts/install-test-browser.sh from this package's global setup.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('GraphQL IDE in a browser', () => {
  let producer: TestProducer;
  let browser: Browser;
  beforeAll(async () => {
    producer = await startTestProducer();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await producer?.close();
  });

  it('when a mutation is run from the IDE with no internet, then it answers and the event is on Kafka', async () => {
    const page = await browser.newPage();
    const offsite: string[] = [];
    // No internet: anything not served by the service itself is refused and recorded.
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(producer.url.replace(/\/producer-svc$/, '')) || url.startsWith('blob:'))
        return route.continue();
      offsite.push(url);
      return route.abort();
    });
    await page.goto(`${producer.url}/graphql`);
    const editor = page
      .locator('.graphiql-query-editor .monaco-editor, .graphiql-query-editor .CodeMirror')
      .first();
    await editor.waitFor({ timeout: 20_000 });

    const { username } = newUser();
    const mutation = `mutation CreateUser { createUser(input: { username: "${username}", email: "ide@example.com", password: "from the browser" }) { id username } }`;
    await editor.click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(mutation);
    await page.locator('.graphiql-execute-button').click();

    const result = page.locator('.graphiql-response');
    try {
      await result.getByText(username).first().waitFor({ timeout: 20_000 });
    } finally {
      // What the browser showed, for a person to look at when this fails.
      await page.screenshot({ path: `${import.meta.dirname}/../.ide-test.png` });
    }
    const [record] = await readTopic(producer.topics['new-user-created'], 1);
    expect(record?.value?.toString()).toContain(username);
    expect(offsite).toEqual([]);
  }, 60_000);
});
