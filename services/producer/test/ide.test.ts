import { readTopic } from '@kafka-ecs/testing';
import {
  blockOffsite,
  launchTestBrowser,
  recordCspViolations,
  screenshotOnFailure,
} from '@kafka-ecs/testing/browser';
import type { Browser } from 'playwright-core';
import { newUser, startTestProducer, type TestProducer } from './support/harness.ts';

// What the browser showed when the test failed, for a person to look at (git-ignored).
const SCREENSHOT = `${import.meta.dirname}/../.ide-test.png`;

describe('GraphQL IDE in a browser', () => {
  let producer: TestProducer;
  let browser: Browser;
  beforeAll(async () => {
    producer = await startTestProducer();
    browser = await launchTestBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await producer?.close();
  });

  it('when a mutation is run from the IDE with no internet, then it answers and the event is on Kafka', async () => {
    const page = await browser.newPage();
    // No internet: anything not served by the service itself is refused and recorded.
    const offsite = await blockOffsite(page, producer.url);
    const refused = recordCspViolations(page);
    const { username } = newUser();
    await screenshotOnFailure(page, SCREENSHOT, async () => {
      await page.goto(`${producer.url}/graphql`);
      const editor = page.locator('.graphiql-query-editor .monaco-editor').first();
      await editor.waitFor({ timeout: 20_000 });

      const mutation = `mutation CreateUser { createUser(input: { username: "${username}", email: "ide@example.com", password: "from the browser" }) { id username } }`;
      await editor.click();
      await page.keyboard.press('ControlOrMeta+A');
      await page.keyboard.press('Delete');
      await page.keyboard.insertText(mutation);
      await page.locator('.graphiql-execute-button').click();
      await page.locator('.graphiql-response').getByText(username).first().waitFor({
        timeout: 20_000,
      });
    });
    const [record] = await readTopic(producer.topics['new-user-created'], 1);
    expect(record?.value?.toString()).toContain(username);
    expect(offsite).toEqual([]);
    expect(refused).toEqual([]);
  }, 60_000);
});
