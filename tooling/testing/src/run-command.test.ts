import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from './run-command.ts';
import { waitFor } from './wait-for.ts';

/**
 * Whether `pid` is a process still running. A killed process whose parent died stays a zombie
 * until PID 1 reaps it, and some container inits never do, so a zombie counts as gone.
 */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state …"; comm may hold spaces, so read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true; // no /proc (macOS): the signal probe is all there is
  }
}

describe('runCommand', () => {
  let dir: string;
  let strays: number[];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'run-command-'));
    strays = [];
  });
  afterEach(() => {
    // Whatever the outcome, no sleeper is left behind for the rest of the run.
    for (const pid of strays) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('when the command exits by itself, then its code and output come back', async () => {
    const result = await runCommand('bash', ['-c', 'echo out; echo err >&2; exit 3'], {
      timeoutMs: 10_000,
    });
    expect(result).toEqual({ code: 3, stdout: 'out\n', stderr: 'err\n' });
  });

  it("when the command's own child outlives the bound, then the whole group is killed", async () => {
    const pidFile = join(dir, 'grandchild.pid');
    // bash starts a sleeper and waits on it: killing only bash would leave the sleeper behind.
    const running = runCommand('bash', ['-c', 'sleep 60 & echo $! > "$1"; wait', 'bash', pidFile], {
      timeoutMs: 1_500,
      description: 'the sleeper',
    });
    await expect(running).rejects.toThrow('the sleeper did not finish within 1500 ms');
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    strays.push(grandchild);
    await waitFor(() => !isRunning(grandchild), {
      timeoutMs: 5_000,
      description: `the grandchild ${grandchild} gone`,
    });
  });
});
