import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { ROOT, readYaml, TOOLS } from './repo.ts';

// checkov (a policy scanner, from PyPI in .tools/venv: scripts/install-deploy-tools.sh) over the
// CloudFormation addons and the GitHub workflows. The checks the project does not follow are in
// checkov-skips.yml, each with its reason. --skip-download: no call to Prisma Cloud.
const skips = readYaml<Record<string, string>>('tooling/deploy-checks/checkov-skips.yml');
const addonFolders = [
  'copilot/environments/addons',
  'copilot/producer/addons',
  'copilot/consumer/addons',
].filter((folder) => existsSync(`${ROOT}/${folder}`));

interface Failure {
  check: string;
  resource: string;
  file: string;
}

/** checkov's failed checks over `folder` for one framework (`skip`: check IDs to leave out). */
export function checkovFailures(folder: string, framework: string, skip: string[]): Failure[] {
  const args = ['--skip-download', '--quiet', '--framework', framework, '-d', folder, '-o', 'json'];
  if (skip.length > 0) args.push('--skip-check', skip.join(','));
  const result = spawnSync(`${TOOLS}/venv/bin/checkov`, args, {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
    // No update check against pypi.org on each run.
    env: {
      ...process.env,
      BC_SKIP_MAPPING: 'TRUE',
      LOG_LEVEL: 'ERROR',
      CKV_SKIP_PACKAGE_UPDATE_CHECK: 'true',
    },
  });
  if (result.error) throw result.error;
  // Exit 1 with a report when a check failed; anything else unparsable is a broken run.
  const parsed = JSON.parse(result.stdout || 'null') as unknown;
  const reports = (Array.isArray(parsed) ? parsed : [parsed]) as ({
    results?: { failed_checks?: { check_id: string; resource: string; file_path: string }[] };
    failed?: number;
    passed?: number;
  } | null)[];
  if (result.status !== 0 && result.status !== 1) {
    throw new Error(`checkov exited ${result.status}: ${result.stderr}`);
  }
  return reports.flatMap((report) =>
    (report?.results?.failed_checks ?? []).map((failed) => ({
      check: failed.check_id,
      resource: failed.resource,
      file: failed.file_path,
    })),
  );
}

describe('checkov', () => {
  it('when a check is skipped, then checkov-skips.yml says why', () => {
    for (const [id, reason] of Object.entries(skips)) {
      expect({ id, reason: /^CKV2?_[A-Z]+_\d+$/.test(id) && reason.length >= 60 }).toEqual({
        id,
        reason: true,
      });
    }
  });

  it.each(addonFolders)(
    'when checkov scans the CloudFormation in %s, then nothing fails',
    (folder) => {
      expect(checkovFailures(folder, 'cloudformation', Object.keys(skips))).toEqual([]);
    },
  );

  it('when checkov scans the GitHub workflows, then nothing fails', () => {
    expect(checkovFailures('.github/workflows', 'github_actions', Object.keys(skips))).toEqual([]);
  });

  describe('controls: deliberately bad files must fail', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(`${tmpdir()}/checkov-`);
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('when a template opens SSH to the world and grants *:*, then checkov fails it', () => {
      mkdirSync(`${dir}/cfn`);
      writeFileSync(
        `${dir}/cfn/bad.yml`,
        [
          'Resources:',
          '  Open:',
          '    Type: AWS::EC2::SecurityGroup',
          '    Properties:',
          '      GroupDescription: open',
          '      SecurityGroupIngress:',
          '        - { IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0 }',
          '  Admin:',
          '    Type: AWS::IAM::ManagedPolicy',
          '    Properties:',
          '      PolicyDocument:',
          "        Version: '2012-10-17'",
          '        Statement:',
          '          - { Effect: Allow, Action: "*", Resource: "*" }',
          '',
        ].join('\n'),
      );
      const checks = checkovFailures(`${dir}/cfn`, 'cloudformation', Object.keys(skips)).map(
        (failure) => failure.check,
      );
      // SSH open to the world; a policy that allows privilege escalation and unconstrained writes.
      expect(checks).toEqual(expect.arrayContaining(['CKV_AWS_24', 'CKV_AWS_110', 'CKV_AWS_111']));
    });

    it('when a workflow grants write-all and interpolates untrusted input into a shell, then checkov fails it', () => {
      mkdirSync(`${dir}/gha/.github/workflows`, { recursive: true });
      writeFileSync(
        `${dir}/gha/.github/workflows/bad.yml`,
        [
          'on: issues',
          'permissions: write-all',
          'jobs:',
          '  a:',
          '    runs-on: ubuntu-24.04',
          '    steps:',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, on purpose
          '      - run: echo "${{ github.event.issue.title }}"',
          '',
        ].join('\n'),
      );
      const checks = checkovFailures(
        `${dir}/gha/.github/workflows`,
        'github_actions',
        Object.keys(skips),
      ).map((failure) => failure.check);
      expect(checks).toEqual(expect.arrayContaining(['CKV_GHA_2', 'CKV2_GHA_1']));
    });
  });
});
