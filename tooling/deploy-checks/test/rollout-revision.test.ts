import { execFileSync } from 'node:child_process';
import { ROOT, readText } from './repo.ts';

// deploy-rollout.yml reads the revision to roll back to from `ecs-rollout status --json` with a
// line of Node (no jq: it is on GitHub's runners, not on every machine this suite runs on). That
// line is run here on what ecs-rollout's own statusAsJson prints (the package
// imports itself by name from its folder), for a service in the middle of a deployment: the
// revision read must be the one it last finished rolling out, not the one in progress.
const workflow = readText('.github/workflows/deploy-rollout.yml');
const READER = /node -e '([^']+)' <<<"\$status"/;

const taskDefinition = (revision: number) =>
  `arn:aws:ecs:eu-west-1:123456789012:task-definition/kafka-ecs-test-producer:${revision}`;

/**
 * ecs-rollout's JSON status for producer: revision 13 rolling out over 12, which is in state
 * `previousState` (COMPLETED: the stable one).
 */
function statusJson(previousState = 'COMPLETED'): string {
  const deployment = (status: string, revision: number, rolloutState: string) => ({
    id: `ecs-svc/${revision}`,
    status,
    taskDefinition: taskDefinition(revision),
    rolloutState,
  });
  const status = {
    app: 'kafka-ecs',
    env: 'test',
    clusterName: 'kafka-ecs-test-Cluster',
    services: [
      {
        name: 'producer',
        ecsName: 'kafka-ecs-test-producer-Service-AbC123',
        desiredCount: 2,
        runningCount: 3,
        pendingCount: 1,
        taskDefinition: taskDefinition(13),
        deployments: [
          deployment('PRIMARY', 13, 'IN_PROGRESS'),
          deployment('ACTIVE', 12, previousState),
        ],
        events: [],
        stoppedTasks: [],
      },
    ],
  };
  return execFileSync(
    process.execPath,
    [
      '--conditions=kafka-ecs-source',
      '--input-type=module',
      '-e',
      `const { statusAsJson } = await import('@kafka-ecs/ecs-rollout');
       console.log(statusAsJson(${JSON.stringify(status)}));`,
    ],
    { cwd: `${ROOT}/tools/ecs-rollout`, encoding: 'utf8' },
  );
}

/** What the workflow's reader (or `reader`) prints for `status`. */
function revisionRead(reader: string, status: string): string {
  return execFileSync(process.execPath, ['-e', reader], { input: status, encoding: 'utf8' }).trim();
}

describe('deploy-rollout.yml reads the revision to roll back to', () => {
  const reader = READER.exec(workflow)?.[1] ?? '';
  const status = statusJson();

  it('when a deployment is in progress, then the revision read is the last finished one', () => {
    expect(reader).toContain('stableRevision');
    expect(revisionRead(reader, status)).toBe('12');
  });

  it("when the reader takes the service's current task definition (control), then it gets the one in progress", () => {
    expect(revisionRead(reader.replace('stableRevision', 'revision'), status)).toBe('13');
  });

  it('when no deployment has finished, then nothing is read and the step stops', () => {
    const unsure = statusJson('IN_PROGRESS');
    expect(revisionRead(reader, unsure)).toBe('');
    expect(workflow).toContain('has no finished rollout to return to');
  });
});
