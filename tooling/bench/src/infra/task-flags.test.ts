import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { taskNodeOptions } from './task-flags.ts';

describe('taskNodeOptions', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'task-flags-'));
    mkdirSync(join(root, 'copilot', 'producer'), { recursive: true });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const manifest = (text: string) =>
    writeFileSync(join(root, 'copilot', 'producer', 'manifest.yml'), text);

  it("when the manifest sets NODE_OPTIONS, then those are the service's flags; when not, then none", () => {
    manifest(
      'name: producer\nvariables:\n  NODE_ENV: production\n  NODE_OPTIONS: --max-semi-space-size=16\n',
    );
    expect(taskNodeOptions('producer', root)).toBe('--max-semi-space-size=16');
    manifest('name: producer\nvariables:\n  NODE_ENV: production\n');
    expect(taskNodeOptions('producer', root)).toBe('');
  });

  it('when NODE_OPTIONS is not a string, then it names the file', () => {
    manifest('variables:\n  NODE_OPTIONS: [a, b]\n');
    expect(() => taskNodeOptions('producer', root)).toThrow(/manifest.yml: variables.NODE_OPTIONS/);
  });
});
