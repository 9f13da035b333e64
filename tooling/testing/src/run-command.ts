import { spawn } from 'node:child_process';

export interface CommandResult {
  /** The exit code, or null when a signal ended it. */
  code: number | null;
  /** What it printed (the last 64 KB of each stream). */
  stdout: string;
  stderr: string;
}

const KEPT_BYTES = 64_000;
/** How long a timed-out command's group has to go after SIGTERM before SIGKILL. */
const KILL_GRACE_MS = 2_000;
/** What a terminal sends the foreground group, which a command in its own group no longer gets. */
const PARENT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Process groups (led by the command, so numbered by its pid) still running or being killed.
 * They are this process' to end when it goes first.
 */
const liveGroups = new Set<number>();

/** Signals a whole process group; false when the group is gone already. */
function signalGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** This process exiting: the groups go with it rather than run on unowned. */
function killGroupsOnExit(): void {
  for (const pid of liveGroups) signalGroup(pid, 'SIGKILL');
}

/**
 * Ctrl-C (or a kill) of this process: the groups get the signal, as they did when they shared
 * this process' group. With no one else listening, this process then dies of it as it would have.
 */
function forwardSignal(signal: NodeJS.Signals): void {
  for (const pid of liveGroups) signalGroup(pid, signal);
  if (process.listenerCount(signal) > 1) return;
  unwatchParent();
  process.kill(process.pid, signal);
}

let watching = false;

/** Listens only while a command runs, so a process using this keeps its signals otherwise. */
function watchParent(): void {
  if (watching) return;
  watching = true;
  process.on('exit', killGroupsOnExit);
  for (const signal of PARENT_SIGNALS) process.on(signal, forwardSignal);
}

function unwatchParent(): void {
  watching = false;
  process.off('exit', killGroupsOnExit);
  for (const signal of PARENT_SIGNALS) process.off(signal, forwardSignal);
}

function track(pid: number): void {
  liveGroups.add(pid);
  watchParent();
}

function untrack(pid: number): void {
  if (liveGroups.delete(pid) && liveGroups.size === 0) unwatchParent();
}

/**
 * SIGTERM to the whole group, then SIGKILL to whatever is left after a grace: a shell script,
 * pnpm or a JVM leaves children that killing the command alone would orphan.
 */
function killGroup(pid: number): void {
  if (!signalGroup(pid, 'SIGTERM')) {
    untrack(pid);
    return;
  }
  setTimeout(() => {
    if (signalGroup(pid, 0)) signalGroup(pid, 'SIGKILL');
    untrack(pid);
  }, KILL_GRACE_MS).unref(); // this process exiting meanwhile SIGKILLs it on the way out
}

/**
 * Runs a command to its end, as a user would from a shell, and resolves with its exit code and
 * output whatever the code (tests assert on failures too). Rejects when it is still running at
 * `timeoutMs`, with the end of what it printed; the command and everything it started are then
 * killed (it runs in a process group of its own for that).
 */
export function runCommand(
  command: string,
  args: readonly string[],
  options: {
    timeoutMs: number;
    /** @defaultValue process.env */
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    /** Names the command in errors. @defaultValue the command and its arguments */
    description?: string;
  },
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so a timeout can kill what it started too.
      detached: true,
    });
    const { pid } = child;
    if (pid !== undefined) track(pid);
    let timedOut = false;
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout = (stdout + chunk.toString()).slice(-KEPT_BYTES);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-KEPT_BYTES);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      if (pid !== undefined) killGroup(pid);
      const what = options.description ?? `${command} ${args.join(' ')}`;
      reject(
        new Error(
          `${what} did not finish within ${options.timeoutMs} ms:\n${(stdout + stderr).slice(-4_000)}`,
        ),
      );
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      if (pid !== undefined && !timedOut) untrack(pid);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      // After a timeout the group stays tracked until its SIGKILL; after a normal exit, what the
      // command left running in the background is its own business, as from a shell.
      if (pid !== undefined && !timedOut) untrack(pid);
      resolve({ code, stdout, stderr });
    });
  });
}
