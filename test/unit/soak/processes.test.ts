/**
 * Nothing the soak starts outlives it (soak/processes.ts). A stand-in for the soak — a node
 * process that starts, through the soak's own `ManagedProcess`, a child that ignores SIGTERM
 * (as a broker busy in its controlled shutdown does) and that child's own child — is ended the
 * ways a soak is ended: SIGTERM, twice (what `timeout` sends), and SIGKILL (what `timeout
 * --kill-after` sends). Each process is bounded: the test kills whatever is left in `afterEach`.
 *
 * Runs the compiled module (dist/soak/processes.js, from `npx tsc`): the stand-in is a separate
 * Node process.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../../local/stack/paths';
import { beginShutdown, liveChildPids, ManagedProcess } from '../../../soak/processes';

const COMPILED = join(projectRoot(), 'dist', 'soak', 'processes.js');
const started: number[] = [];
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'soak-processes-'));
});
afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

/** Alive and not a zombie (an orphan's zombie waits for init to reap it: it runs nothing). */
function alive(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (existsSync('/proc/self/stat')) {
    if (!existsSync(stat)) return false;
    const state = readFileSync(stat, 'utf8').replace(/^.*\)\s+/s, '')[0];
    return state !== 'Z' && state !== 'X';
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits (at most `tries` × 100 ms) until `check` holds. */
async function eventually(check: () => boolean, tries = 100): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (check()) return true;
    await sleep(100);
  }
  return check();
}

/** A node one-liner that ignores SIGTERM and runs until killed (at most 5 minutes). */
const STUBBORN = "process.on('SIGTERM', () => {}); setTimeout(() => {}, 300000);";

/**
 * Starts the soak stand-in; resolves with its pid and the pids of its child and grandchild
 * once both are up.
 */
async function startSoakStandIn(): Promise<{ soak: number; child: number; grandchild: number }> {
  const pidFile = join(dir, 'grandchild.pid');
  const childScript = `const { spawn } = require('node:child_process'); const g = spawn(process.execPath, ['-e', ${JSON.stringify(STUBBORN)}], { stdio: 'ignore' }); require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(g.pid)); ${STUBBORN}`;
  const soakScript = `
    const { ManagedProcess, installExitGuards } = require(${JSON.stringify(COMPILED)});
    installExitGuards();
    const p = new ManagedProcess('stubborn', process.execPath, ['-e', ${JSON.stringify(childScript)}], { cwd: ${JSON.stringify(dir)}, logFile: ${JSON.stringify(join(dir, 'child.log'))} });
    p.start();
    process.stdout.write(String(p.child.pid) + '\\n');
    setTimeout(() => {}, 300000);`;
  const soak = spawn(process.execPath, ['-e', soakScript], { stdio: ['ignore', 'pipe', 'inherit'] });
  started.push(soak.pid as number);
  const child = await new Promise<number>((resolve, reject) => {
    soak.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    soak.once('exit', (code) => reject(new Error(`the stand-in exited with ${code}`)));
  });
  started.push(child);
  expect(await eventually(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8') !== '')).toBe(true);
  const grandchild = Number(readFileSync(pidFile, 'utf8'));
  started.push(grandchild);
  return { soak: soak.pid as number, child, grandchild };
}

it('leaves nothing running when the soak gets SIGTERM twice (as from `timeout`)', async () => {
  const { soak, child, grandchild } = await startSoakStandIn();
  expect([alive(child), alive(grandchild)]).toEqual([true, true]);

  process.kill(soak, 'SIGTERM');
  process.kill(soak, 'SIGTERM');

  expect(await eventually(() => !alive(soak) && !alive(child) && !alive(grandchild))).toBe(true);
});

it('leaves no child running when the soak is SIGKILLed and runs no code of its own', async () => {
  const { soak, child } = await startSoakStandIn();
  expect(alive(child)).toBe(true);

  process.kill(soak, 'SIGKILL');

  expect(await eventually(() => !alive(soak) && !alive(child))).toBe(true);
});

it('starts nothing once shutdown has begun (a restart the chaos driver had in flight)', async () => {
  const broker = new ManagedProcess('broker', process.execPath, ['-e', STUBBORN], { cwd: dir, logFile: join(dir, 'broker.log') });
  expect(broker.start()).toBe(true);
  started.push(broker.child!.pid as number);
  // The driver kills the leader and sleeps before restarting it; meanwhile the run ends.
  await broker.stop('SIGKILL');
  beginShutdown();

  expect(broker.start()).toBe(false);
  expect(broker.running).toBe(false);
  expect(liveChildPids()).toEqual([]);
});
