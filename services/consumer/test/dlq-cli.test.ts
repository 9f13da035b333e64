import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectRawProducer, type RawProducer, waitFor } from '@kafka-ecs/testing';
import {
  ADMIN_TOKEN,
  createIsolation,
  failingUntilReplay,
  graphql,
  type Isolation,
  OPERATOR_NAME,
  OPERATOR_TOKEN,
  publish,
  startTestConsumer,
  type TestConsumer,
  userCreated,
  viewedUser,
} from './support/harness.ts';

const CLI = `${import.meta.dirname}/../../../tools/dlq-cli/src/main.ts`;

/** Runs `pnpm dlq …` as an operator would (the same entry point), bounded. */
function dlq(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--conditions=kafka-ecs-source', '--no-warnings', CLI, ...args],
      { env: { PATH: process.env.PATH, ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? Number((error as { code?: number }).code ?? 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('the dead-letter command line (pnpm dlq)', () => {
  let producer: RawProducer;
  let service: TestConsumer;
  let env: Record<string, string>;
  let iso: Isolation;
  const users = [
    userCreated({ username: 'doomed-one' }),
    userCreated({ username: 'doomed-two' }),
    userCreated({ username: 'doomed-three' }),
  ];

  beforeAll(async () => {
    iso = await createIsolation();
    service = await startTestConsumer(iso, { handlers: failingUntilReplay() });
    env = { DLQ_URL: `${service.url}/graphql` };
    producer = await connectRawProducer();
    await publish(producer, iso, users);
    await waitFor(
      async () =>
        (
          await graphql<{ deadLetters: { totalCount: number } }>(
            service.url,
            'query($t: String) { deadLetters(topic: $t) { totalCount } }',
            { t: iso.userTopic },
          )
        ).data?.deadLetters.totalCount === 3,
      { timeoutMs: 20_000, description: 'three dead letters' },
    );
  });

  afterAll(async () => {
    await producer?.close();
    await service?.close();
  });

  it('when listing and showing, then the operator sees a table and one record with its pretty payload', async () => {
    const list = await dlq(['list', '--topic', iso.userTopic], env);
    expect(list).toMatchObject({ code: 0, stderr: '' });
    expect(list.stdout).toMatch(/^ID\s+REASON\s+ATTEMPTS\s+FAILED AT\s+ERROR$/m);
    expect(list.stdout.match(/exhausted {2}4 /g)).toHaveLength(3);
    expect(list.stdout).toContain('3 shown of 3');

    const id = /^(\S+:\d+:\d+)\s/m.exec(list.stdout)?.[1] as string;
    const show = await dlq(['show', id], env);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(`id              ${id}`);
    expect(show.stdout).toContain('"type": "new-user-created"');
    expect(show.stdout).toContain('InjectedFaultError');

    // By the record key, a user's id: that user's dead letter alone.
    const byKey = await dlq(['list', '--key', users[1]?.data.id as string, '--json'], env);
    expect(byKey.code).toBe(0);
    expect(JSON.parse(byKey.stdout).nodes.map((node: { key: string | null }) => node.key)).toEqual([
      users[1]?.data.id,
    ]);

    expect((await dlq(['show', `${iso.userTopic}:0:999999`], env)).code).toBe(5);
    expect((await dlq(['list', '--reason', 'bored'], env)).code).toBe(2);
    expect((await dlq(['list'], { DLQ_URL: 'http://127.0.0.1:1/graphql' })).code).toBe(4);
  });

  it('when exporting, then each matching dead letter is one JSON line in the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dlq-export-'));
    try {
      const out = join(dir, 'dead-letters.jsonl');
      const result = await dlq(['export', '--topic', iso.userTopic, '--out', out], env);
      expect(result.code).toBe(0);
      expect(result.stderr).toContain('exported 3 dead letter(s)');
      const lines = (await readFile(out, 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(lines.map((line) => line.reason)).toEqual(['exhausted', 'exhausted', 'exhausted']);
      expect(lines[0]).toHaveProperty('payload');
      expect(lines[0]).toHaveProperty('history');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('when one is discarded and the rest bulk-replayed, then dry runs come first and are audited, no or a wrong token exits 3, and the audit names each operator', async () => {
    const listed = await dlq(['list', '--topic', iso.userTopic, '--json'], env);
    const [discarded] = JSON.parse(listed.stdout).nodes.map((node: { id: string }) => node.id);
    const asOperator = { ...env, DLQ_TOKEN: OPERATOR_TOKEN };
    // A replay by id without --yes is a dry run the consumer audits, before and after a discard.
    const preview = await dlq(['replay', discarded], asOperator);
    expect(preview).toMatchObject({ code: 0, stderr: '' });
    expect(preview.stdout).toContain('dry run (audited): 1 of 1 dead letter(s) would be replayed');
    expect((await dlq(['discard', discarded], asOperator)).code).toBe(2);
    const discard = await dlq(['discard', discarded, '--reason', 'broken upstream'], asOperator);
    expect(discard).toMatchObject({ code: 0, stderr: '' });
    expect(discard.stdout).toContain(`discarded ${discarded}`);
    // An unknown id is refused before anything is asked of the consumer's operations.
    expect((await dlq(['replay', `${iso.userTopic}:0:999999`], asOperator)).code).toBe(5);
    const previewDiscarded = await dlq(['replay', discarded], asOperator);
    expect(previewDiscarded.stdout).toContain(`  ${discarded}: DISCARDED`);
    expect(previewDiscarded.stdout).toContain('dry run (audited): 0 of 1 dead letter(s)');

    const all = ['replay', '--all', '--topic', iso.userTopic];
    for (const token of [undefined, 'wrong-token-0123456789']) {
      const refused = await dlq(all, { ...env, ...(token ? { ADMIN_TOKEN: token } : {}) });
      expect(refused.code).toBe(3);
      expect(refused.stderr).toMatch(/^dlq: operator operations need Authorization/);
    }
    const dry = await dlq(all, { ...env, ADMIN_TOKEN });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(
      'dry run: 2 of 2 matching dead letter(s) would be replayed at 10/s',
    );
    const stillListed = await dlq(['list', '--topic', iso.userTopic, '--json'], env);
    expect(JSON.parse(stillListed.stdout).totalCount).toBe(2);

    const replayed = await dlq([...all, '--yes', '--rate', '50'], { ...env, ADMIN_TOKEN });
    expect(replayed).toMatchObject({ code: 0 });
    expect(replayed.stdout).toContain('replayed 2, failed again 0 (still listed), skipped 0');
    const after = await dlq(['list', '--topic', iso.userTopic, '--json'], env);
    expect(JSON.parse(after.stdout).totalCount).toBe(0);
    let inView = 0;
    for (const user of users) if (await viewedUser(service.url, user.data.id)) inView += 1;
    expect(inView).toBe(2);

    const audit = await dlq(['audit', '--json'], env);
    expect(audit.code).toBe(0);
    const entries = JSON.parse(audit.stdout).nodes.map(
      (entry: { actor: string; action: string; dryRun: boolean; outcome: string }) => [
        entry.actor,
        entry.action,
        entry.dryRun,
        entry.outcome,
      ],
    );
    expect(entries).toEqual([
      ['admin', 'bulk-replay', false, 'matched 2, replayed 2, failed 0, skipped 0'],
      ['admin', 'bulk-replay', true, 'dry run: matched 2, would replay 2'],
      [OPERATOR_NAME, 'replay', true, 'dry run: discarded'],
      [OPERATOR_NAME, 'discard', false, 'discarded'],
      [OPERATOR_NAME, 'replay', true, 'dry run: would-replay'],
    ]);
    const table = await dlq(['audit', '--limit', '1'], env);
    expect(table.stdout).toMatch(/^AT\s+ACTOR\s+ACTION\s+DRY RUN\s+DEAD LETTERS\s+OUTCOME$/m);
    expect(table.stdout).toContain('1 shown of 5');
  });
});
