// Regenerates copilot-lambdas.yml, the Lambda functions Copilot's CloudFormation templates
// generate, from a checkout of aws/copilot-cli (not run by the tests):
//
//   node tooling/deploy-checks/test/copilot/extract-lambdas.ts <copilot-cli git dir> [commit]
//
// or from a release as the Go module proxy serves it (a git snapshot may lack the release tag):
//
//   go mod download -json github.com/aws/copilot-cli@v1.34.1   # prints Dir and Info
//   node tooling/deploy-checks/test/copilot/extract-lambdas.ts --module <Dir> <Info>
//
// (the .info file names the release's commit and time).
// For each function of Copilot's custom-resource map (internal/pkg/deploy/upload/
// customresource/customresource.go) it copies the resource's text from the template partial
// that defines it, without the Go template lines (its Code is an S3 location filled in at
// deploy time), and the line of Copilot's handler source that exports the handler, which says
// whether the handler is async or takes a callback (Lambda's Node.js 24 refuses callbacks).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

const args = process.argv.slice(2);
const fromModule = args[0] === '--module';
const [gitDir, commit = 'HEAD'] = fromModule ? [] : args;
const [moduleDir, infoFile] = fromModule ? args.slice(1) : [];
if (!(gitDir || (moduleDir && infoFile))) {
  throw new Error(
    'usage: extract-lambdas.ts <copilot-cli git dir> [commit] | --module <module dir> <info file>',
  );
}
const git = (...rest: string[]) =>
  execFileSync('git', ['--git-dir', String(gitDir), ...rest], { encoding: 'utf8' });
const show = (path: string) =>
  moduleDir ? readFileSync(join(moduleDir, path), 'utf8') : git('show', `${commit}:${path}`);
const TEMPLATES = 'internal/pkg/template/templates';

// Function → [the stack it is in, the partial that defines it, its handler source].
const FUNCTIONS: Record<string, [string, string, string]> = {
  EnvControllerFunction: ['workload', 'workloads/partials/cf/env-controller.yml', 'env-controller'],
  RulePriorityFunction: [
    'workload',
    'workloads/partials/cf/alb.yml',
    'alb-rule-priority-generator',
  ],
  DynamicDesiredCountFunction: [
    'workload',
    'workloads/partials/cf/autoscaling.yml',
    'desired-count-delegation',
  ],
  BacklogPerTaskCalculatorFunction: [
    'workload',
    'workloads/partials/cf/autoscaling.yml',
    'backlog-per-task-calculator',
  ],
  NLBCustomDomainFunction: ['workload', 'workloads/partials/cf/nlb.yml', 'wkld-custom-domain'],
  NLBCertValidatorFunction: ['workload', 'workloads/partials/cf/nlb.yml', 'wkld-cert-validator'],
  CertificateValidationFunction: [
    'environment',
    'environment/partials/lambdas.yml',
    'dns-cert-validator',
  ],
  CustomDomainFunction: ['environment', 'environment/partials/lambdas.yml', 'custom-domain'],
  DNSDelegationFunction: ['environment', 'environment/partials/lambdas.yml', 'dns-delegation'],
  BucketCleanerFunction: [
    'environment',
    'environment/partials/elb-access-logs.yml',
    'bucket-cleaner',
  ],
  CertificateReplicatorFunction: [
    'environment',
    'environment/partials/cdn-resources.yml',
    'cert-replicator',
  ],
  UniqueJSONValuesFunction: [
    'environment',
    'environment/partials/cdn-resources.yml',
    'unique-json-values',
  ],
};

/** The lines of a top-level resource in a partial, Go template lines and Code dropped. */
function resourceText(partial: string, name: string): string {
  const lines = show(`${TEMPLATES}/${partial}`).split('\n');
  const start = lines.findIndex((line) => line.startsWith(`${name}:`));
  if (start < 0) throw new Error(`${name} is not in ${partial}`);
  const end = lines.findIndex((line, i) => i > start && /^[A-Za-z{]/.test(line));
  const kept: string[] = [];
  let skipping = 0;
  for (const line of lines.slice(start, end < 0 ? undefined : end)) {
    const indent = line.length - line.trimStart().length;
    if (skipping && (line.trim() === '' || indent > skipping)) continue;
    skipping = 0;
    if (/^\s*\{\{.*\}\}\s*$/.test(line)) continue;
    if (/^\s*Code:\s*$/.test(line)) {
      skipping = indent;
      continue;
    }
    kept.push(line.replace(/\{\{[^}]*\}\}/g, '').trimEnd());
  }
  return `${kept.join('\n').trim()}\n`;
}

function handlerExport(source: string, handler: string): string {
  const name = handler.replace(/^index\./, '');
  const code = show(`cf-custom-resources/lib/${source}.js`);
  const line = code.split('\n').find((text) => text.startsWith(`exports.${name} =`));
  if (!line) throw new Error(`no exports.${name} in ${source}.js`);
  return line.trim();
}

const info = infoFile
  ? (JSON.parse(readFileSync(infoFile, 'utf8')) as { Time: string; Origin?: { Hash?: string } })
  : undefined;
if (info && !info.Origin?.Hash) {
  throw new Error(`${infoFile} names no commit (Origin.Hash): use a copilot-cli git dir instead`);
}
const date = info ? info.Time.slice(0, 10) : git('log', '-1', '--format=%cs', commit).trim();
const sha = info?.Origin?.Hash ?? git('rev-parse', commit).trim();
const functions = Object.fromEntries(
  Object.entries(FUNCTIONS).map(([name, [stack, partial, source]]) => {
    const template = resourceText(partial, name);
    const handler = template.match(/Handler:\s*"?([\w.]+)"?/)?.[1] ?? '';
    return [
      name,
      {
        stack,
        partial: `${TEMPLATES}/${partial}`,
        code: `cf-custom-resources/lib/${source}.js`,
        handlerExport: handlerExport(source, handler),
        template,
      },
    ];
  }),
);
const header = [
  '# The Lambda functions AWS Copilot generates, as its templates write them. Generated by',
  '# extract-lambdas.ts (beside this file) from aws/copilot-cli; do not edit by hand.',
  '',
].join('\n');
writeFileSync(
  new URL('./copilot-lambdas.yml', import.meta.url),
  header +
    stringify(
      { source: { repository: 'aws/copilot-cli', commit: sha, date }, functions },
      { lineWidth: 0, blockQuote: 'literal' },
    ),
);
