import { spawnSync } from 'node:child_process';
import { parse } from 'yaml';
import { ROOT, readText, TOOLS } from './repo.ts';

// CloudFormation templates as CloudFormation reads them: the short tags (!Sub, !Ref, …) become
// their long forms, and `evaluate` works out what a value will be once deployed, for the few
// intrinsic functions the addons use. Enough to check what an ARN or an output really is.

const SHORT_TAGS = [
  'Ref',
  'Sub',
  'Join',
  'Split',
  'Select',
  'ImportValue',
  'GetAtt',
  'If',
  'FindInMap',
  'Equals',
  'Not',
];
const customTags = SHORT_TAGS.flatMap((name) => {
  const key = name === 'Ref' ? 'Ref' : `Fn::${name}`;
  return [
    { tag: `!${name}`, resolve: (value: string) => ({ [key]: value }) },
    {
      tag: `!${name}`,
      collection: 'seq' as const,
      resolve: (seq: { toJSON(): unknown }) => ({ [key]: seq.toJSON() }),
    },
    {
      tag: `!${name}`,
      collection: 'map' as const,
      resolve: (map: { toJSON(): unknown }) => ({ [key]: map.toJSON() }),
    },
  ];
});

export interface Resource {
  Type: string;
  Condition?: string;
  Properties: Record<string, unknown>;
}

export interface Template {
  Parameters?: Record<string, { Default?: string }>;
  Mappings?: Record<string, Record<string, Record<string, string>>>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, Resource>;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
}

export function readTemplate(path: string): Template {
  return readCloudFormationYaml<Template>(path);
}

/** Any YAML file that holds CloudFormation (a template, Copilot's YAML patches), tags resolved. */
export function readCloudFormationYaml<T>(path: string): T {
  return parseCloudFormationYaml<T>(readText(path));
}

/** CloudFormation YAML text (e.g. a template fixture), tags resolved. */
export function parseCloudFormationYaml<T>(text: string): T {
  return parse(text, { customTags, logLevel: 'error' }) as T;
}

/** What the deploy knows: parameters, exports other stacks made, and the pseudo parameters. */
export interface Scope {
  params: Record<string, string>;
  imports: Record<string, string>;
}

export const PSEUDO = {
  'AWS::Partition': 'aws',
  'AWS::Region': 'eu-west-1',
  'AWS::AccountId': '123456789012',
};

function known(values: Record<string, unknown>, name: string): unknown {
  if (!(name in values)) throw new Error(`unknown name in template: ${name}`);
  return values[name];
}

/** Evaluates Ref, Fn::Sub, Fn::Join, Fn::Split, Fn::Select and Fn::ImportValue; the rest as is. */
export function evaluate(node: unknown, scope: Scope): unknown {
  if (Array.isArray(node)) return node.map((item) => evaluate(item, scope));
  if (node === null || typeof node !== 'object') return node;
  const entries = Object.entries(node);
  if (entries.length === 1) {
    const [[key, arg]] = entries as [[string, unknown]];
    const values = { ...PSEUDO, ...scope.params };
    switch (key) {
      case 'Ref':
        return known(values, arg as string);
      case 'Fn::Sub': {
        const [template, variables] = (Array.isArray(arg) ? arg : [arg, {}]) as [
          string,
          Record<string, unknown>,
        ];
        const all: Record<string, unknown> = { ...values };
        for (const [name, value] of Object.entries(variables)) all[name] = evaluate(value, scope);
        return template.replace(/\$\{([\w:]+)\}/g, (_, name: string) => String(known(all, name)));
      }
      case 'Fn::Join': {
        const [separator, list] = arg as [string, unknown];
        return (evaluate(list, scope) as unknown[]).join(separator);
      }
      case 'Fn::Split': {
        const [separator, value] = arg as [string, unknown];
        return String(evaluate(value, scope)).split(separator);
      }
      case 'Fn::Select': {
        const [index, list] = arg as [number, unknown];
        return (evaluate(list, scope) as unknown[])[Number(index)];
      }
      case 'Fn::ImportValue':
        return known(scope.imports, String(evaluate(arg, scope)));
    }
  }
  return Object.fromEntries(entries.map(([key, value]) => [key, evaluate(value, scope)]));
}

const NO_VALUE = Symbol('AWS::NoValue');

/**
 * The template as CloudFormation sees it under the given conditions: each Fn::If replaced by its
 * chosen branch, and a `Ref: AWS::NoValue` removed with its key. A condition not given throws.
 */
export function underConditions<T>(node: T, conditions: Record<string, boolean>): T {
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk).filter((item) => item !== NO_VALUE);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value);
    if (entries.length === 1) {
      const [[key, arg]] = entries as [[string, unknown]];
      if (key === 'Ref' && arg === 'AWS::NoValue') return NO_VALUE;
      if (key === 'Fn::If') {
        const [name, whenTrue, whenFalse] = arg as [string, unknown, unknown];
        if (!(name in conditions)) throw new Error(`condition not given: ${name}`);
        return walk(conditions[name] ? whenTrue : whenFalse);
      }
    }
    return Object.fromEntries(
      entries.map(([key, item]) => [key, walk(item)]).filter(([, item]) => item !== NO_VALUE),
    );
  };
  return walk(node) as T;
}

/** AWS's CloudFormation linter on one template file (from PyPI in .tools/venv, scripts/install-deploy-tools.sh). */
export function cfnLint(template: string) {
  return spawnSync(`${TOOLS}/venv/bin/cfn-lint`, ['--format', 'parseable', template], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
}
