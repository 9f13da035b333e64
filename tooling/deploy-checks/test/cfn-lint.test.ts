import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { cfnLint } from './cfn.ts';
import { listFiles } from './repo.ts';

describe('CloudFormation addons', () => {
  const templates = [
    ...listFiles('copilot/environments/addons', '.yml'),
    // Both services have addons (their Kafka access, metrics and alarms): a folder that went
    // missing fails listFiles here rather than quietly linting less.
    ...['producer', 'consumer'].flatMap((service) =>
      listFiles(`copilot/${service}/addons`, '.yml'),
    ),
  ].filter((path) => !path.endsWith('addons.parameters.yml'));

  it("when the addons are linted, then there are at least the environment's Redis and Kafka and each service's metrics and alarms", () => {
    expect(templates).toEqual(
      expect.arrayContaining([
        'copilot/environments/addons/redis.yml',
        'copilot/environments/addons/kafka.yml',
        'copilot/producer/addons/metrics-alarms.yml',
        'copilot/consumer/addons/metrics-alarms.yml',
      ]),
    );
  });

  it.each(templates)('when cfn-lint checks %s, then it reports nothing', (template) => {
    const result = cfnLint(template);
    expect(result.error).toBeUndefined();
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('when a template is broken, then cfn-lint does fail (the check is real)', () => {
    const dir = mkdtempSync(`${tmpdir()}/cfn-lint-`);
    try {
      const template = `${dir}/broken.yml`;
      writeFileSync(
        template,
        'Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n    Properties:\n      NoSuchProperty: 1\n',
      );
      const result = cfnLint(template);
      expect(result.status).not.toBe(0);
      expect(result.stdout).toContain('NoSuchProperty');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
