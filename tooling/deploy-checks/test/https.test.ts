import {
  type EnvironmentHttp,
  environmentHttpsProblems,
  interpolate,
  type ServiceHttp,
  serviceHttpsProblems,
} from './copilot/https.ts';
import { listFiles, readText, readYaml } from './repo.ts';

// Clients reach the services over HTTPS only (issue #14; docs/deploy.md, "HTTPS"): each
// environment's public listener presents a certificate the team imported into ACM and takes TLS
// 1.2 or newer, each service answers on the team's domain with HTTP redirected, and neither the
// certificate's ARN nor the domain is in git: both come from the deploying shell, and Copilot
// refuses to deploy without them.

const ENVIRONMENTS = ['test', 'prod'];
const SERVICES = ['producer', 'consumer'];
const CERTIFICATE = 'PUBLIC_CERTIFICATE_ARN';
const DOMAIN = 'PUBLIC_DOMAIN';
const environment = (env: string) =>
  readYaml<EnvironmentHttp>(`copilot/environments/${env}/manifest.yml`);
const service = (name: string) => readYaml<ServiceHttp>(`copilot/${name}/manifest.yml`);

// What a team provides, per environment (example values, only here).
const SHELL = {
  [CERTIFICATE]:
    'arn:aws:acm:eu-west-1:123456789012:certificate/0b7c6a6e-1d2f-4c3b-9a8d-7e6f5a4b3c2d',
  [DOMAIN]: 'kafka-ecs.example.com',
};

describe('HTTPS on the public load balancer', () => {
  it.each(ENVIRONMENTS)(
    'when the %s environment is deployed, then its listener presents the imported certificate with TLS 1.2 or newer',
    (env) => {
      expect(environmentHttpsProblems(environment(env), CERTIFICATE)).toEqual([]);
    },
  );

  it.each(SERVICES)(
    'when the %s is deployed, then it answers on the team domain with HTTP redirected to HTTPS, in every environment',
    (name) => {
      expect(serviceHttpsProblems(service(name), DOMAIN)).toEqual([]);
    },
  );

  it('when Copilot interpolates the manifests with what a team provides, then the certificate and the alias are those values', () => {
    for (const env of ENVIRONMENTS) {
      const manifest = interpolate(environment(env), SHELL, { app: 'kafka-ecs', env });
      expect(manifest.http?.public?.certificates).toEqual([SHELL[CERTIFICATE]]);
      for (const name of SERVICES) {
        const http = interpolate(service(name), SHELL, { app: 'kafka-ecs', env }).http;
        expect(http ? http.alias : undefined).toBe(SHELL[DOMAIN]);
      }
    }
  });

  it('when a team has provided nothing, then Copilot refuses to deploy the environment or a service (never HTTP only)', () => {
    const names = { app: 'kafka-ecs', env: 'test' };
    expect(() => interpolate(environment('test'), {}, names)).toThrow(
      `environment variable "${CERTIFICATE}" is not defined`,
    );
    for (const name of SERVICES) {
      expect(() => interpolate(service(name), {}, names)).toThrow(
        `environment variable "${DOMAIN}" is not defined`,
      );
    }
  });

  it('when copilot/ is read, then no certificate ARN or domain is committed as if it were real', () => {
    const files = [
      ...ENVIRONMENTS.map((env) => `copilot/environments/${env}/manifest.yml`),
      ...SERVICES.map((name) => `copilot/${name}/manifest.yml`),
      ...listFiles('copilot/environments/addons', '.yml'),
    ];
    for (const path of files) {
      expect({ path, arn: readText(path).match(/arn:aws[a-z-]*:acm:[^\s'"]+/)?.[0] }).toEqual({
        path,
        arn: undefined,
      });
    }
  });
});

// Must-fail controls: mutated copies the checks above must reject.
describe('the HTTPS checks are real', () => {
  it('when an environment has no certificate (as before), then it is reported', () => {
    expect(environmentHttpsProblems({}, CERTIFICATE)).toEqual([
      'no certificate: the listener is HTTP only',
      'TLS policy ELB default (ELBSecurityPolicy-2016-08) takes TLS 1.0',
    ]);
  });

  it('when a literal certificate ARN or an old TLS policy is committed, then it is reported', () => {
    const mutated: EnvironmentHttp = structuredClone(environment('prod'));
    if (!mutated.http?.public) throw new Error('prod has no http.public');
    mutated.http.public.certificates = [SHELL[CERTIFICATE]];
    mutated.http.public.ssl_policy = 'ELBSecurityPolicy-2016-08';
    expect(environmentHttpsProblems(mutated, CERTIFICATE)).toEqual([
      `certificate ${SHELL[CERTIFICATE]} is not \${${CERTIFICATE}}`,
      'TLS policy ELBSecurityPolicy-2016-08 takes TLS 1.0',
    ]);
  });

  it('when a service has no alias, a literal one, no redirect or no load balancer in an environment, then each is reported', () => {
    expect(serviceHttpsProblems({ http: {} }, DOMAIN)).toEqual([
      `alias undefined is not \${${DOMAIN}}`,
    ]);
    const mutated: ServiceHttp = {
      http: { alias: 'api.example.com', redirect_to_https: false },
      environments: { test: { http: false }, prod: null },
    };
    expect(serviceHttpsProblems(mutated, DOMAIN)).toEqual([
      `alias api.example.com is not \${${DOMAIN}}`,
      'HTTP not redirected',
      'no load balancer in test',
    ]);
  });

  it('when a manifest escapes a variable, then Copilot keeps it literally (the interpolation is modelled, not faked)', () => {
    const ref = (name: string) => `\${${name}}`;
    const names = { app: 'kafka-ecs', env: 'prod' };
    expect(
      interpolate({ a: `\\${ref(DOMAIN)}`, b: ref('COPILOT_ENVIRONMENT_NAME') }, {}, names),
    ).toEqual({ a: ref(DOMAIN), b: 'prod' });
  });
});
