/**
 * Every process the soak starts, and how none of them outlives it.
 *
 * A JavaScript `exit` hook alone is not enough: it runs only when the soak exits through Node
 * (`process.exit`, an error, a handled signal). A soak that is SIGKILLed (`timeout --kill-after`,
 * `kill -9`), aborts (out of memory) or dies of a second signal after its handler was removed
 * runs no JavaScript at all, and a broker it started, already busy in its own controlled
 * shutdown from the same group signal, stays up with init as its parent. So each child:
 *
 * - is started through `setpriv --pdeathsig KILL` (util-linux, where present): the kernel
 *   SIGKILLs it when the soak's process dies, by any route;
 * - runs in its own process group, and is killed as a group, so whatever it forks dies with it;
 * - is tracked from spawn to exit, every one a {@link ManagedProcess} ever started (a restart
 *   does not drop its predecessor), and once shutdown has begun nothing is started any more (a
 *   chaos restart still sleeping when the run ends does not spawn a broker after the stop).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';

/** Children started and not yet seen to exit. */
const liveChildren = new Set<ChildProcess>();
let shuttingDown = false;

/** `setpriv` when it can set the parent-death signal (Linux, util-linux), probed once. */
let pdeathsigWrapper: string[] | undefined;
function deathSignalPrefix(): string[] {
  if (pdeathsigWrapper === undefined) {
    const probe = process.platform === 'linux' ? spawnSync('setpriv', ['--pdeathsig', 'KILL', '--', 'true'], { stdio: 'ignore' }) : undefined;
    pdeathsigWrapper = probe?.status === 0 ? ['setpriv', '--pdeathsig', 'KILL', '--'] : [];
  }
  return pdeathsigWrapper;
}

/** The pids of every child started and still running (for tests and the exit report). */
export function liveChildPids(): number[] {
  return [...liveChildren].map((child) => child.pid).filter((pid): pid is number => pid !== undefined);
}

/** True once {@link beginShutdown} was called: no {@link ManagedProcess} starts any more. */
export function isShuttingDown(): boolean {
  return shuttingDown;
}

/** From now on {@link ManagedProcess.start} starts nothing (a restart in flight is dropped). */
export function beginShutdown(): void {
  shuttingDown = true;
}

/** SIGKILLs every live child's process group, synchronously (safe inside an `exit` handler). */
export function killAllChildren(): void {
  shuttingDown = true;
  for (const child of liveChildren) killGroup(child, 'SIGKILL');
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    // The child leads its own group (detached): a negative pid signals the whole group.
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
let guardsInstalled = false;

/**
 * Makes every exit path of this process take its children with it: an `exit` hook, and handlers
 * for SIGINT, SIGTERM and SIGHUP that kill every child and exit with 128 + the signal's number.
 * The handlers stay installed (`on`, not `once`), so a second signal (`timeout` signals the
 * soak and then its whole group) finds a handler too instead of Node's default action, which
 * would end the soak without running the hook. Idempotent.
 */
export function installExitGuards(): void {
  if (guardsInstalled) return;
  guardsInstalled = true;
  process.on('exit', killAllChildren);
  for (const [signal, code] of Object.entries(SIGNAL_EXIT_CODES)) {
    process.on(signal, () => {
      killAllChildren();
      process.exit(code);
    });
  }
}

/** How a {@link ManagedProcess} runs its command. */
export interface ManagedProcessOptions {
  cwd: string;
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Its stdout and stderr are appended here. */
  logFile: string;
  /** Called when it exits without {@link ManagedProcess.stop} having asked it to. */
  onUnexpectedExit?: (code: number | null, signal: string | null) => void;
}

/** One process the soak runs, restartable; it never outlives the soak (see the module's note). */
export class ManagedProcess {
  child: ChildProcess | undefined;
  private expectedExit = false;

  constructor(
    readonly name: string,
    private readonly command: string,
    private readonly args: string[],
    private readonly options: ManagedProcessOptions,
  ) {}

  /**
   * Starts the command, unless it is running already or the soak is shutting down.
   * @returns whether a process was started.
   */
  start(): boolean {
    if (shuttingDown || this.running) return false;
    this.expectedExit = false;
    const log = createWriteStream(this.options.logFile, { flags: 'a' });
    const [command, ...args] = [...deathSignalPrefix(), this.command, ...this.args] as [string, ...string[]];
    const child = spawn(command, args, { cwd: this.options.cwd, env: this.options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    liveChildren.add(child);
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    child.on('error', () => undefined);
    child.on('exit', (code, signal) => {
      liveChildren.delete(child);
      if (this.child === child) this.child = undefined;
      if (!this.expectedExit) this.options.onUnexpectedExit?.(code, signal);
    });
    this.child = child;
    return true;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends `sig` to the process (SIGSTOP/SIGCONT freeze and thaw it). */
  signal(sig: NodeJS.Signals): void {
    this.child?.kill(sig);
  }

  /** Sends `sig` and waits (at most `timeoutMs`, then SIGKILL to its group) for the process to exit. */
  async stop(sig: NodeJS.Signals = 'SIGTERM', timeoutMs = 20_000): Promise<void> {
    const child = this.child;
    if (child === undefined || !this.running) return;
    this.expectedExit = true;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGCONT');
    if (sig === 'SIGKILL') killGroup(child, sig);
    else child.kill(sig);
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
    // Anything the process forked and left behind goes with it.
    killGroup(child, 'SIGKILL');
  }
}
