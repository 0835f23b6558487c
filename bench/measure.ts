/**
 * Measuring processes from the outside: CPU time and peak memory from `/proc`, the environment
 * and allocator a process really ran with, percentiles. Reading `/proc/<pid>` instead of asking
 * the process keeps the measured process free of measuring code.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

let clockTicks: number | undefined;

/** Kernel clock ticks per second (`getconf CLK_TCK`), the unit of `/proc/<pid>/stat` times. */
export function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      // Every Linux we run on uses 100; getconf is only missing from very small images.
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/**
 * CPU milliseconds (user + system, all threads) a live process has used so far, or `undefined`
 * when it is gone.
 */
export function processCpuMs(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / ticksPerSecond();
}

/** Peak resident set size (`VmHWM`) of a live process in MiB, or `undefined` when it is gone. */
export function peakRssMiB(pid: number): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Busy CPU milliseconds of the whole machine since boot (all cores; idle and iowait excluded). */
export function machineBusyMs(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user).
  const busy = values.slice(0, 8).reduce((sum, v, i) => (i === 3 || i === 4 ? sum : sum + v), 0);
  return (busy * 1000) / ticksPerSecond();
}

/** One variable of the environment a process was started with (`/proc/<pid>/environ`). */
export function processEnvironmentValue(pid: number, name: string): string | undefined {
  try {
    const entries = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
    const entry = entries.find((e) => e.startsWith(`${name}=`));
    return entry?.slice(name.length + 1);
  } catch {
    return undefined;
  }
}

/**
 * The malloc implementation a process runs with: a preloaded or linked jemalloc, tcmalloc or
 * mimalloc shows up in its memory map; otherwise the C library's own.
 */
export function processAllocator(pid: number): string {
  try {
    const maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
    for (const name of ['jemalloc', 'tcmalloc', 'mimalloc']) if (maps.includes(`lib${name}`)) return name;
    if (/\/ld-musl-|libc\.musl/.test(maps)) return 'musl';
  } catch {
    // Gone: fall through to the C library of this machine.
  }
  const glibc = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header?.glibcVersionRuntime;
  return glibc ? `glibc ${glibc}` : 'unknown';
}

/** Path of a jemalloc shared library installed on this machine, if any (for `LD_PRELOAD`). */
export function findJemalloc(): string | undefined {
  const dirs = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib'];
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    const file = readdirSync(dir).find((f) => /^libjemalloc\.so(\.\d+)?$/.test(f));
    if (file !== undefined) return join(dir, file);
  }
  return undefined;
}

/** Nearest-rank percentile of `values` (0 < p ≤ 100); `NaN` for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

/** p50/p95/p99 and max of latencies in milliseconds, rounded to 0.1 ms. */
export function latencySummary(values: readonly number[]): { count: number; p50: number; p95: number; p99: number; max: number } {
  const round = (v: number): number => Math.round(v * 10) / 10;
  return {
    count: values.length,
    p50: round(percentile(values, 50)),
    p95: round(percentile(values, 95)),
    p99: round(percentile(values, 99)),
    max: round(percentile(values, 100)),
  };
}

/**
 * CPU time of a set of processes and of the whole machine across one phase: take a snapshot
 * before, call `delta()` after.
 */
export class CpuLedger {
  private readonly start: Map<string, number | undefined>;
  private readonly machineStart: number;

  constructor(private readonly pids: ReadonlyMap<string, number>) {
    this.start = new Map([...pids].map(([name, pid]) => [name, processCpuMs(pid)]));
    this.machineStart = machineBusyMs();
  }

  /** CPU ms each process used since construction (absent when it died), plus `machine` and `other`. */
  delta(): Record<string, number> {
    const out: Record<string, number> = {};
    let known = 0;
    for (const [name, pid] of this.pids) {
      const before = this.start.get(name);
      const after = processCpuMs(pid);
      if (before === undefined || after === undefined) continue;
      out[name] = Math.round(after - before);
      known += after - before;
    }
    const machine = machineBusyMs() - this.machineStart;
    out.machine = Math.round(machine);
    // What the machine did besides the processes we know: other people's work on a shared box.
    out.other = Math.max(0, Math.round(machine - known));
    return out;
  }
}

function threadTimes(pid: number): Map<string, { group: string; ms: number }> {
  const out = new Map<string, { group: string; ms: number }>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const group = tid === String(pid) ? 'main' : comm.startsWith('libvips') ? 'libvips' : 'other';
      out.set(tid, { group, ms: ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond() });
    } catch {
      // The thread ended between listing and reading.
    }
  }
  return out;
}

/**
 * CPU time of one process split by thread: `main` (the JavaScript thread: our code, the SDKs,
 * kafkajs, JSON), `libvips` (image work) and `other` (libuv pool, V8 GC and compiler threads).
 * Threads that ended during the phase are missing from the split; `unattributed` is the rest
 * of the process total.
 */
export class ThreadLedger {
  private readonly start: Map<string, { group: string; ms: number }>;
  private readonly processStart: number;

  constructor(private readonly pid: number) {
    this.start = threadTimes(pid);
    this.processStart = processCpuMs(pid) ?? Number.NaN;
  }

  /** CPU ms per thread group since construction. */
  delta(): { main: number; libvips: number; other: number; unattributed: number } {
    const sums = { main: 0, libvips: 0, other: 0 };
    for (const [tid, now] of threadTimes(this.pid)) {
      const before = this.start.get(tid)?.ms ?? 0;
      sums[now.group as keyof typeof sums] += now.ms - before;
    }
    const total = (processCpuMs(this.pid) ?? Number.NaN) - this.processStart;
    return {
      main: Math.round(sums.main),
      libvips: Math.round(sums.libvips),
      other: Math.round(sums.other),
      unattributed: Math.max(0, Math.round(total - sums.main - sums.libvips - sums.other)),
    };
  }
}
