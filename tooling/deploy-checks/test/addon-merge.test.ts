import { readCloudFormationYaml, type Template } from './cfn.ts';
import { listFiles } from './repo.ts';

// Copilot deploys the templates of an addons folder as ONE template: it merges their sections,
// and refuses a name that two templates define differently (v1.34.1, internal/pkg/addon/
// cloudformation.go, mergeSingleLevelMaps). cfn-lint reads each file alone, so this is where a
// clash between two addons of a folder is caught before a deploy is.

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

describe.each(FOLDERS)('the addons of %s, merged as Copilot merges them', (folder) => {
  it('when Copilot merges them, then no name is defined twice differently', () => {
    const templates = templatesOf(folder);
    expect(templates.length).toBeGreaterThan(1);
    expect(mergeConflicts(templates)).toEqual([]);
  });
});

describe('the merge check is real', () => {
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
