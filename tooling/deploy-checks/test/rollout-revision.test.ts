import { execFileSync } from 'node:child_process';
import { ROOT, readText } from './repo.ts';

// deploy-rollout.yml reads the revision to roll back to from `ecs-rollout status` with a sed
// expression. That expression is run here on what ecs-rollout's own formatStatus prints (the
// package imports itself by name from its folder), for an environment with both services; a
// mutated copy of the expression must read nothing.
const workflow = readText('.github/workflows/deploy-rollout.yml');
const SED = /sed -n -E "([^"]+)" <<<"\$status"/;

/** ecs-rollout's status text for producer at revision 12 and consumer at revision 7. */
function statusText(): string {
  const service = (name: string, revision: number) => ({
    name,
    ecsName: `kafka-ecs-test-${name}-Service-AbC123`,
    desiredCount: 2,
    runningCount: 2,
    pendingCount: 0,
    taskDefinition: `arn:aws:ecs:eu-west-1:123456789012:task-definition/kafka-ecs-test-${name}:${revision}`,
    deployments: [],
    events: [],
    stoppedTasks: [],
  });
  const status = {
    app: 'kafka-ecs',
    env: 'test',
    clusterName: 'kafka-ecs-test-Cluster',
    services: [service('consumer', 7), service('producer', 12)],
  };
  return execFileSync(
    process.execPath,
    [
      '--conditions=kafka-ecs-source',
      '--input-type=module',
      '-e',
      `const { formatStatus } = await import('@kafka-ecs/ecs-rollout');
       console.log(formatStatus(${JSON.stringify(status)}));`,
    ],
    { cwd: `${ROOT}/tools/ecs-rollout`, encoding: 'utf8' },
  );
}

/** What the workflow's sed expression (or `expression`) reads for `service`. */
function revisionRead(service: string, status: string, expression: string): string {
  return execFileSync('bash', ['-c', `sed -n -E "${expression}" <<<"$status"`], {
    env: { ...process.env, SERVICE: service, status },
    encoding: 'utf8',
  }).trim();
}

describe('deploy-rollout.yml reads the running revision', () => {
  const expression = SED.exec(workflow)?.[1] ?? '';
  const status = statusText();

  it("when ecs-rollout status lists both services, then each service's own revision is read", () => {
    expect(expression).toContain('task definition');
    expect(status).toContain('task definition kafka-ecs-test-producer:12');
    expect(revisionRead('producer', status, expression)).toBe('12');
    expect(revisionRead('consumer', status, expression)).toBe('7');
  });

  it('when the expression expects other words (control), then it reads nothing', () => {
    const mutated = expression.replace('task definition', 'taskDefinition');
    expect(revisionRead('producer', status, mutated)).toBe('');
  });
});
