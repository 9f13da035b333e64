import { readdirSync, statSync } from 'node:fs';
import { readCloudFormationYaml } from './cfn.ts';
import {
  applyPatches,
  type EnvironmentManifest,
  environmentFunctions,
  oldNodeRuntimes,
  oldNodeRuntimesInText,
  type Patch,
  readCopilotLambdas,
  render,
  type ServiceManifest,
  workloadFunctions,
} from './copilot/render.ts';
import { ROOT, readText, readYaml } from './repo.ts';

// No Lambda function the project ships or has Copilot generate runs on a Node.js runtime Lambda
// no longer supports (issue #14): Copilot v1.34.1 writes nodejs20.x (unsupported since
// 2026-04-30), and the YAML patches in copilot/**/overrides set each function's runtime. The
// patches are applied here to Copilot's own template text (copilot/copilot-lambdas.yml) for
// every service and environment, with Copilot's rules: a path the template lacks fails.

const MINIMUM = 22;
const lambdas = readCopilotLambdas();
const SERVICES = ['producer', 'consumer'] as const;
const ENVIRONMENTS = readdirSync(`${ROOT}/copilot/environments`)
  .filter((name) => statSync(`${ROOT}/copilot/environments/${name}`).isDirectory())
  .filter((name) => !['addons', 'overrides'].includes(name))
  .sort();

const serviceManifest = (service: string) =>
  readYaml<ServiceManifest>(`copilot/${service}/manifest.yml`);
const environmentManifest = (env: string) =>
  readYaml<EnvironmentManifest>(`copilot/environments/${env}/manifest.yml`);
/**
 * The patches that touch Copilot's Lambda functions (the others, e.g. the execution role's
 * policy, are checked in secrets.test.ts against resources this fixture does not hold).
 */
const onFunctions = (patches: Patch[]) =>
  patches.filter((patch) => (patch.path.split('/')[2] ?? '') in lambdas.functions);
const servicePatches = (service: string) =>
  onFunctions(readCloudFormationYaml<Patch[]>(`copilot/${service}/overrides/cfn.patches.yml`));
const environmentPatches = () =>
  onFunctions(readCloudFormationYaml<Patch[]>('copilot/environments/overrides/cfn.patches.yml'));

/** What a service's stack holds in an environment, patched as `copilot svc deploy` does. */
function deployedService(manifest: ServiceManifest, env: string, patches: Patch[]) {
  return applyPatches(render(workloadFunctions(manifest, env), lambdas), patches);
}

function deployedEnvironment(manifest: EnvironmentManifest, patches: Patch[]) {
  return applyPatches(render(environmentFunctions(manifest), lambdas), patches);
}

/** Whether Lambda's Node.js 24 runtime can run a handler: async, never a callback. */
function runsOnNode24(handlerExport: string): boolean {
  const match = handlerExport.match(
    /^exports\.\w+ = async (?:function\s*\(([^)]*)\)|\(([^)]*)\)\s*=>)/,
  );
  if (!match) return false;
  const parameters = (match[1] ?? match[2] ?? '').split(',').filter((p) => p.trim() !== '');
  return parameters.length <= 2;
}

/** Every file under copilot/, as repository paths. */
function copilotFiles(folder = 'copilot'): string[] {
  return readdirSync(`${ROOT}/${folder}`).flatMap((name) => {
    const path = `${folder}/${name}`;
    return statSync(`${ROOT}/${path}`).isDirectory() ? copilotFiles(path) : [path];
  });
}

describe("Copilot's generated Lambda functions (copilot-lambdas.yml, from aws/copilot-cli)", () => {
  it('when the fixture is read, then every function Copilot generates is on nodejs20.x there', () => {
    // The premise of the patches: if a newer Copilot changes this, regenerate and revisit.
    const runtimes = Object.values(lambdas.functions).map(
      (fn) => fn.template.match(/Runtime: (\S+)/)?.[1],
    );
    expect(runtimes.length).toBeGreaterThanOrEqual(12);
    expect(new Set(runtimes)).toEqual(new Set(['nodejs20.x']));
  });

  it('when both environments are listed, then they are test and prod', () => {
    expect(ENVIRONMENTS).toEqual(['prod', 'test']);
  });
});

describe.each(SERVICES)('the %s service stack', (service) => {
  const manifest = serviceManifest(service);

  it.each(ENVIRONMENTS)(
    'when deployed to %s, then Copilot generates its three functions and the patches put each on Node.js 22 or newer',
    (env) => {
      expect(workloadFunctions(manifest, env)).toEqual([
        'EnvControllerFunction',
        'RulePriorityFunction',
        'DynamicDesiredCountFunction',
      ]);
      const deployed = deployedService(manifest, env, servicePatches(service));
      expect(oldNodeRuntimes(deployed, MINIMUM)).toEqual([]);
      for (const resource of Object.values(deployed.Resources)) {
        expect(resource.Properties.Runtime).toBe('nodejs24.x');
      }
    },
  );
});

describe.each(ENVIRONMENTS)('the %s environment stack', (env) => {
  it('when deployed, then the patches put every function Copilot generates on Node.js 22 or newer', () => {
    const manifest = environmentManifest(env);
    const deployed = deployedEnvironment(manifest, environmentPatches());
    expect(Object.keys(deployed.Resources)).toEqual(environmentFunctions(manifest));
    expect(oldNodeRuntimes(deployed, MINIMUM)).toEqual([]);
  });
});

describe('what the project ships or overrides', () => {
  it('when every file under copilot/ is read, then none names a Node.js runtime below 22', () => {
    const files = copilotFiles();
    expect(files).toEqual(expect.arrayContaining(['copilot/environments/addons/kafka.yml']));
    const found = files.flatMap((path) =>
      oldNodeRuntimesInText(readText(path), MINIMUM).map((runtime) => `${path}: ${runtime}`),
    );
    expect(found).toEqual([]);
  });

  it("when a patch moves a function to nodejs24.x, then Copilot's handler for it is async (event, context), which Node.js 24 runs", () => {
    const patched = [...SERVICES.flatMap(servicePatches), ...environmentPatches()]
      .filter((patch) => patch.path.endsWith('/Properties/Runtime') && patch.value === 'nodejs24.x')
      .map((patch) => patch.path.split('/')[2] as string);
    expect(patched.length).toBeGreaterThan(0);
    for (const name of patched) {
      const fn = lambdas.functions[name];
      expect({
        name,
        handler: fn?.handlerExport,
        runs: runsOnNode24(fn?.handlerExport ?? ''),
      }).toEqual({
        name,
        handler: fn?.handlerExport,
        runs: true,
      });
    }
  });
});

// Must-fail controls: mutated copies the checks above must reject.
describe('the checks are real', () => {
  it("when Copilot's templates are deployed without the patches, then every function is reported on nodejs20.x", () => {
    expect(
      oldNodeRuntimes(deployedService(serviceManifest('consumer'), 'prod', []), MINIMUM),
    ).toEqual([
      'EnvControllerFunction: nodejs20.x',
      'RulePriorityFunction: nodejs20.x',
      'DynamicDesiredCountFunction: nodejs20.x',
    ]);
    expect(oldNodeRuntimes(deployedEnvironment(environmentManifest('prod'), []), MINIMUM)).toEqual([
      'BucketCleanerFunction: nodejs20.x',
    ]);
  });

  it('when one function is left out of the patches, then it is reported', () => {
    const patches = servicePatches('producer').filter(
      (patch) => !patch.path.startsWith('/Resources/EnvControllerFunction/'),
    );
    expect(
      oldNodeRuntimes(deployedService(serviceManifest('producer'), 'test', patches), MINIMUM),
    ).toEqual(['EnvControllerFunction: nodejs20.x']);
  });

  it('when a patch sets an unsupported runtime, then it is reported', () => {
    const patches = environmentPatches().map((patch) =>
      patch.path.startsWith('/Resources/BucketCleanerFunction/')
        ? { ...patch, value: 'nodejs18.x' }
        : patch,
    );
    expect(
      oldNodeRuntimes(deployedEnvironment(environmentManifest('test'), patches), MINIMUM),
    ).toEqual(['BucketCleanerFunction: nodejs18.x']);
  });

  it('when an environment of a service has a fixed count, then its patch fails as Copilot would (no DynamicDesiredCountFunction)', () => {
    const fixed: ServiceManifest = {
      ...serviceManifest('producer'),
      environments: { test: { count: 1 } },
    };
    expect(() => deployedService(fixed, 'test', servicePatches('producer'))).toThrow(
      'key "DynamicDesiredCountFunction" not found',
    );
  });

  it("when an environment drops its imported certificate (Copilot's own domain instead), then lambdas.yml's functions are reported", () => {
    const withoutCertificate: EnvironmentManifest = {
      http: { public: { access_logs: environmentManifest('test').http?.public?.access_logs } },
    };
    expect(
      oldNodeRuntimes(deployedEnvironment(withoutCertificate, environmentPatches()), MINIMUM),
    ).toEqual([
      'CertificateValidationFunction: nodejs20.x',
      'CustomDomainFunction: nodejs20.x',
      'DNSDelegationFunction: nodejs20.x',
    ]);
  });

  it('when an environment turns its access logs off, then the environment patch no longer applies, as Copilot would fail', () => {
    const manifest = environmentManifest('test');
    const withoutLogs: EnvironmentManifest = {
      http: { public: { certificates: manifest.http?.public?.certificates ?? [] } },
    };
    expect(environmentFunctions(withoutLogs)).toEqual([]);
    expect(() => deployedEnvironment(withoutLogs, environmentPatches())).toThrow(
      'key "BucketCleanerFunction" not found',
    );
  });

  it('when a file under copilot/ names an old Node.js runtime, then the scan finds it', () => {
    const mutated = readText('copilot/environments/addons/kafka.yml').replace(
      'Runtime: python3.12',
      'Runtime: nodejs18.x',
    );
    expect(oldNodeRuntimesInText(mutated, MINIMUM)).toEqual(['nodejs18.x']);
    expect(
      oldNodeRuntimesInText('value: nodejs20.x # was nodejs16.x\nRuntime: nodejs22.x', MINIMUM),
    ).toEqual(['nodejs20.x']);
  });

  it('when a handler takes a callback or is not async, then it is refused for Node.js 24', () => {
    expect(runsOnNode24('exports.handler = function (event, context, callback) {')).toBe(false);
    expect(runsOnNode24('exports.handler = async function (event, context, callback) {')).toBe(
      false,
    );
    expect(runsOnNode24('exports.handler = function (event, context) {')).toBe(false);
    expect(runsOnNode24('exports.handler = async (event, context) => {')).toBe(true);
  });
});
