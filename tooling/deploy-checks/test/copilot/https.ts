// HTTPS on the public load balancer: what the manifests must say, and Copilot's manifest
// interpolation (internal/pkg/manifest/interpolate.go), which fills ${NAME} from the shell of
// `copilot env deploy` / `copilot svc deploy` and refuses a name that is not set.

const VARIABLE = /(\\?)\$\{([_a-zA-Z][_a-zA-Z0-9]*)\}/g;

/**
 * A manifest value as Copilot interpolates it: COPILOT_APPLICATION_NAME and
 * COPILOT_ENVIRONMENT_NAME are predefined, any other name comes from `shell`, and a name set
 * nowhere fails the deploy. `\${NAME}` stays as written, without the backslash.
 */
export function interpolate<T>(
  value: T,
  shell: Record<string, string>,
  names: { app: string; env: string },
): T {
  const predefined: Record<string, string> = {
    COPILOT_APPLICATION_NAME: names.app,
    COPILOT_ENVIRONMENT_NAME: names.env,
  };
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([key, item]) => [key, walk(item)]));
    }
    if (typeof node !== 'string') return node;
    return node.replace(VARIABLE, (whole, escaped: string, name: string) => {
      if (escaped) return whole.slice(1);
      const found = predefined[name] ?? shell[name];
      if (found === undefined) throw new Error(`environment variable "${name}" is not defined`);
      return found;
    });
  };
  return walk(value) as T;
}

export interface EnvironmentHttp {
  http?: { public?: { certificates?: unknown[]; ssl_policy?: string; access_logs?: unknown } };
}

export interface ServiceHttp {
  http?: false | { alias?: unknown; redirect_to_https?: boolean };
  environments?: Record<string, { http?: ServiceHttp['http'] } | null>;
}

// ELB policies that accept TLS 1.2 and 1.3 or 1.2 only, never 1.0 or 1.1.
const MODERN_TLS = /^ELBSecurityPolicy-(TLS13-1-[23]-|TLS-1-2-|FS-1-2-)/;

/** An environment imports its certificate from a variable and takes TLS 1.2 or newer only. */
export function environmentHttpsProblems(manifest: EnvironmentHttp, variable: string): string[] {
  const problems: string[] = [];
  const publicHttp = manifest.http?.public;
  const certificates = publicHttp?.certificates ?? [];
  if (certificates.length === 0) problems.push('no certificate: the listener is HTTP only');
  for (const certificate of certificates) {
    if (certificate !== `\${${variable}}`) {
      problems.push(`certificate ${String(certificate)} is not \${${variable}}`);
    }
  }
  const policy = publicHttp?.ssl_policy;
  if (!policy || !MODERN_TLS.test(policy)) {
    problems.push(
      `TLS policy ${policy ?? 'ELB default (ELBSecurityPolicy-2016-08)'} takes TLS 1.0`,
    );
  }
  return problems;
}

/** A service answers on the domain of a variable, with HTTP redirected, in every environment. */
export function serviceHttpsProblems(manifest: ServiceHttp, variable: string): string[] {
  const problems: string[] = [];
  const settings: [string, ServiceHttp['http']][] = [['', manifest.http]];
  for (const [env, override] of Object.entries(manifest.environments ?? {})) {
    if (override && 'http' in override) settings.push([` in ${env}`, override.http]);
  }
  for (const [where, http] of settings) {
    if (http === false) {
      problems.push(`no load balancer${where}`);
      continue;
    }
    if (where === '' || http?.alias !== undefined) {
      if (http?.alias !== `\${${variable}}`) {
        problems.push(`alias${where} ${String(http?.alias)} is not \${${variable}}`);
      }
    }
    if (http?.redirect_to_https === false) problems.push(`HTTP not redirected${where}`);
  }
  return problems;
}
