import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../../core/config';
import { installStack } from './install';
import { stackPaths, type StackPaths } from './paths';
import { checkPrerequisites } from './prerequisites';
import { serviceSpecs, type ServiceName, type ServiceSpec } from './services';

/** A local server could not start; says which, why, and where its log is. */
export class ServiceStartError extends Error {
  constructor(
    readonly service: ServiceName,
    message: string,
    readonly logFile?: string,
    readonly logTail?: string,
  ) {
    super(message);
    this.name = 'ServiceStartError';
  }
}

/** One service's state as `stack status` reports it. */
export interface ServiceStatus {
  name: ServiceName;
  standsInFor: string;
  /** `running`: ours and answering; `external`: answering but not started by us (e.g. Docker); `stopped`. */
  state: 'running' | 'external' | 'stopped';
  pid?: number;
  endpoint: string;
  logFile: string;
}

type Log = (line: string) => void;

function pidFile(paths: StackPaths, name: ServiceName): string {
  return join(paths.run, `${name}.pid`);
}

function logFile(paths: StackPaths, name: ServiceName): string {
  return join(paths.logs, `${name}.log`);
}

/** The pid of our running instance of `spec`, checked against its command line. */
function ourPid(paths: StackPaths, spec: ServiceSpec): number | undefined {
  const file = pidFile(paths, spec.name);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  try {
    const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    if (Number.isInteger(pid) && pid > 0 && commandLine.includes(spec.commandLineMarker)) return pid;
  } catch {
    // The process is gone: fall through and forget the stale pid file.
  }
  rmSync(file, { force: true });
  return undefined;
}

async function answers(spec: ServiceSpec): Promise<boolean> {
  try {
    await spec.probe();
    return true;
  } catch {
    return false;
  }
}

function portIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function tail(file: string, lines = 20): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stopPid(pid: number, graceMs: number): Promise<void> {
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      // Each server was started as its own process group leader: signal the group.
      process.kill(-pid, signal);
    } catch {
      try {
        process.kill(pid, signal);
      } catch {
        // Already gone.
      }
    }
  };
  signalGroup('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) signalGroup('SIGKILL');
  while (isAlive(pid)) await sleep(50);
}

/** What `up` did, so a caller (e.g. `make start`) can stop exactly what it started. */
export interface UpResult {
  started: ServiceName[];
  reused: ServiceName[];
}

/**
 * Starts the local servers and the supervision around them (ports, pid files, logs); the
 * supervisor itself stays small: spawn detached, wait for a real answer, stop on failure.
 */
export class StackSupervisor {
  readonly paths: StackPaths;
  private readonly specs: ServiceSpec[];

  constructor(
    private readonly config: Config,
    private readonly log: Log = () => undefined,
  ) {
    this.paths = stackPaths(config);
    this.specs = serviceSpecs(config, this.paths);
  }

  /**
   * Installs what is missing, then starts every server that is not already answering, in
   * parallel, and waits until each answers a real request. Harmless when already up.
   *
   * @throws PrerequisiteError when java, mvn or python3 is missing.
   * @throws ServiceStartError with the log path and last lines; everything this call started is stopped.
   */
  async up(): Promise<UpResult> {
    mkdirSync(this.paths.run, { recursive: true });
    mkdirSync(this.paths.logs, { recursive: true });

    // Decide what to start and check its ports before installing anything: a taken port fails
    // in a second, not after a download.
    const result: UpResult = { started: [], reused: [] };
    const toStart: ServiceSpec[] = [];
    for (const spec of this.specs) {
      if (ourPid(this.paths, spec) !== undefined || (await answers(spec))) {
        result.reused.push(spec.name);
      } else {
        toStart.push(spec);
      }
    }
    for (const spec of toStart) {
      for (const port of spec.ports) {
        if (!(await portIsFree(this.config.local.host, port))) {
          throw new ServiceStartError(spec.name, `port ${port} on ${this.config.local.host} (${spec.name}) is already in use by another program; stop it or choose another port in the environment`);
        }
      }
    }

    if (toStart.length > 0) {
      // Only needed to run our own servers: a stack already up (e.g. docker compose) needs none.
      checkPrerequisites();
      await installStack(this.paths, this.log);
    }
    const outcomes = await Promise.allSettled(toStart.map((spec) => this.startOne(spec).then(() => result.started.push(spec.name))));
    const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failure) {
      await this.stop(result.started);
      throw failure.reason;
    }
    return result;
  }

  private async startOne(spec: ServiceSpec): Promise<void> {
    const file = logFile(this.paths, spec.name);
    try {
      spec.prepare();
    } catch (error) {
      // Kept in the service's log like any start-up failure, so the user looks in one place.
      appendFileSync(file, `${(error as Error).message}\n`);
      throw new ServiceStartError(spec.name, `${spec.name} could not be prepared`, file, tail(file));
    }
    this.log(`starting ${spec.name} on ${spec.endpoint} (log: ${file})`);
    const fd = openSync(file, 'a');
    const child = spawn(spec.command, spec.args, { cwd: spec.cwd, detached: true, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    child.unref();
    if (child.pid === undefined) {
      const error = await spawnError;
      throw new ServiceStartError(spec.name, `${spec.name} could not be started: ${error.message}`, file);
    }
    const pid = child.pid;
    writeFileSync(pidFile(this.paths, spec.name), String(pid));

    const deadline = Date.now() + spec.startTimeoutMs;
    while (Date.now() < deadline) {
      if (await answers(spec)) return;
      if (!isAlive(pid) || child.exitCode !== null) {
        rmSync(pidFile(this.paths, spec.name), { force: true });
        throw new ServiceStartError(spec.name, `${spec.name} exited during start-up`, file, tail(file));
      }
      await sleep(250);
    }
    await stopPid(pid, 5000);
    rmSync(pidFile(this.paths, spec.name), { force: true });
    throw new ServiceStartError(spec.name, `${spec.name} did not answer within ${spec.startTimeoutMs / 1000} s`, file, tail(file));
  }

  /**
   * Stops the named servers (default: every server we started). Harmless when none is running.
   * @returns the names actually stopped.
   */
  async stop(names: readonly ServiceName[] = this.specs.map((s) => s.name)): Promise<ServiceName[]> {
    const stopped: ServiceName[] = [];
    await Promise.all(
      this.specs
        .filter((spec) => names.includes(spec.name))
        .map(async (spec) => {
          const pid = ourPid(this.paths, spec);
          if (pid === undefined) return;
          await stopPid(pid, 15_000);
          rmSync(pidFile(this.paths, spec.name), { force: true });
          stopped.push(spec.name);
        }),
    );
    return stopped;
  }

  /** Each server's state, endpoint and log file. */
  async status(): Promise<ServiceStatus[]> {
    return Promise.all(
      this.specs.map(async (spec) => {
        const pid = ourPid(this.paths, spec);
        const answering = await answers(spec);
        const state: ServiceStatus['state'] = answering ? (pid === undefined ? 'external' : 'running') : 'stopped';
        return { name: spec.name, standsInFor: spec.standsInFor, state, pid, endpoint: spec.endpoint, logFile: logFile(this.paths, spec.name) };
      }),
    );
  }

  /** The log file of one server. */
  logFileOf(name: ServiceName): string {
    return logFile(this.paths, name);
  }

  /** Freezes (SIGSTOP) or thaws (SIGCONT) one of our servers: a dependency that hangs, for fault tests. */
  signal(name: ServiceName, signal: 'SIGSTOP' | 'SIGCONT'): void {
    const spec = this.specs.find((s) => s.name === name);
    const pid = spec && ourPid(this.paths, spec);
    if (pid === undefined) throw new Error(`${name} is not running under this supervisor`);
    process.kill(pid, signal);
  }

  /** Restarts one server (stop, then start and wait until it answers). */
  async restart(name: ServiceName): Promise<void> {
    const spec = this.specs.find((s) => s.name === name);
    if (!spec) throw new Error(`unknown service ${name}`);
    await this.stop([name]);
    await this.startOne(spec);
  }
}
