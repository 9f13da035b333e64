import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';

/** The repository root (this package lives in tooling/deploy-checks). */
export const ROOT = resolve(import.meta.dirname, '../../..');
export const TOOLS = `${ROOT}/.tools`;

export function readText(path: string): string {
  return readFileSync(`${ROOT}/${path}`, 'utf8');
}

/**
 * Parses a YAML file of the repository. CloudFormation's short tags (!Ref, !Sub, …) are not
 * resolved: their nodes keep their plain value, which is all these checks read.
 */
export function readYaml<T = Record<string, unknown>>(path: string): T {
  return parse(readText(path), { logLevel: 'error' }) as T;
}

/** Files directly in a folder of the repository whose name ends with `suffix`, as repo paths. */
export function listFiles(folder: string, suffix: string): string[] {
  return readdirSync(`${ROOT}/${folder}`)
    .filter((name) => name.endsWith(suffix))
    .sort()
    .map((name) => `${folder}/${name}`);
}

/** The repository's own actions (.github/actions/<name>/action.yml), as repo paths. */
export function listActions(): string[] {
  return readdirSync(`${ROOT}/.github/actions`, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => `.github/actions/${entry.name}/action.yml`)
    .sort();
}

/** The Copilot environments the repository defines (copilot/environments/<env>/manifest.yml). */
export function listEnvironments(): string[] {
  return readdirSync(`${ROOT}/copilot/environments`, { withFileTypes: true })
    .filter(
      (entry) =>
        entry.isDirectory() &&
        existsSync(`${ROOT}/copilot/environments/${entry.name}/manifest.yml`),
    )
    .map((entry) => entry.name)
    .sort();
}
