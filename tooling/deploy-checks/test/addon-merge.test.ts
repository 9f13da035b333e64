import { existsSync } from 'node:fs';
import { readCloudFormationYaml, type Template } from './cfn.ts';
import { listFiles, ROOT, readYaml } from './repo.ts';

// Copilot deploys the templates of an addons folder as ONE template: it merges their sections,
// and refuses a name that two templates define differently (v1.34.1, internal/pkg/addon/
// cloudformation.go, mergeSingleLevelMaps). cfn-lint reads each file alone, so this is where a
// clash between two addons of a folder is caught before a deploy is. Values are compared once
// the short tags are read as their long forms (Copilot compares YAML nodes, tag style included:
// keep one style per name across files).

const FOLDERS = [
  'copilot/environments/addons',
  'copilot/producer/addons',
  'copilot/consumer/addons',
];
const SECTIONS = ['Parameters', 'Mappings', 'Conditions', 'Resources', 'Outputs'] as const;

type Named = Record<string, unknown>;

/** Each name two templates of the folder define differently, as `section.name: a ≠ b`. */
export function mergeConflicts(templates: [string, Template][]): string[] {
  const conflicts: string[] = [];
  for (const section of SECTIONS) {
    const seen = new Map<string, [string, string]>();
    for (const [file, template] of templates) {
      for (const [name, value] of Object.entries((template[section] ?? {}) as Named)) {
        const text = JSON.stringify(value);
        const earlier = seen.get(name);
        if (!earlier) seen.set(name, [file, text]);
        else if (earlier[1] !== text) conflicts.push(`${section}.${name}: ${earlier[0]} ≠ ${file}`);
      }
    }
  }
  return conflicts;
}

const templatesOf = (folder: string): [string, Template][] =>
  listFiles(folder, '.yml')
    .filter((path) => !path.endsWith('addons.parameters.yml'))
    .map((path) => [path.split('/').pop() as string, readCloudFormationYaml<Template>(path)]);

/** Copilot passes these to every addon; addons.parameters.yml may set any other declared one. */
const PASSED_BY_COPILOT = ['App', 'Env', 'Name'];

/**
 * What Copilot's parameter validation refuses: a value in addons.parameters.yml for a parameter
 * no template declares, and a declared parameter without a default that nothing sets.
 */
export function parameterProblems(templates: [string, Template][], values: Named): string[] {
  const declared = new Map<string, { Default?: unknown }>();
  for (const [, template] of templates) {
    for (const [name, value] of Object.entries(template.Parameters ?? {}))
      declared.set(name, value);
  }
  return [
    ...Object.keys(values)
      .filter((name) => !declared.has(name))
      .map((name) => `${name}: set in addons.parameters.yml, declared by no addon`),
    ...[...declared]
      .filter(
        ([name, value]) =>
          value.Default === undefined && !PASSED_BY_COPILOT.includes(name) && !(name in values),
      )
      .map(([name]) => `${name}: no default and no value`),
  ];
}

const valuesOf = (folder: string): Named =>
  existsSync(`${ROOT}/${folder}/addons.parameters.yml`)
    ? (readYaml<{ Parameters?: Named }>(`${folder}/addons.parameters.yml`).Parameters ?? {})
    : {};

describe.each(FOLDERS)('the addons of %s, merged as Copilot merges them', (folder) => {
  it('when Copilot merges them, then no name is defined twice differently', () => {
    const templates = templatesOf(folder);
    expect(templates.length).toBeGreaterThan(1);
    expect(mergeConflicts(templates)).toEqual([]);
  });

  it('when Copilot passes the parameters, then every value names a declared parameter and every parameter without a default gets one', () => {
    expect(parameterProblems(templatesOf(folder), valuesOf(folder))).toEqual([]);
  });
});

describe('the merge check is real', () => {
  it('when addons.parameters.yml sets a parameter no addon declares any more (control), then it is reported', () => {
    const folder = 'copilot/environments/addons';
    expect(parameterProblems(templatesOf(folder), { ...valuesOf(folder), RedisShards: 0 })).toEqual(
      ['RedisShards: set in addons.parameters.yml, declared by no addon'],
    );
  });

  it('when two addons define the same parameter differently (control), then it is reported', () => {
    const templates = templatesOf('copilot/environments/addons');
    const [file, template] = templates[0] as [string, Template];
    const mutated = structuredClone(template);
    (mutated.Parameters as Named).Env = { Type: 'String', Description: 'another' };
    const conflicts = mergeConflicts([...templates.slice(1), [file, mutated]]);
    expect(conflicts).toEqual(
      expect.arrayContaining([expect.stringMatching(/^Parameters\.Env: /)]),
    );
  });
});
