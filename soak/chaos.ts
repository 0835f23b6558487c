/**
 * The chaos driver's schedule: when each fault fires, one at a time, spread over the workload.
 *
 * Moments are planned in images submitted, not in seconds: the workload's duration is not
 * known in advance (it depends on the machine and its load, and slows while a fault is on), but
 * its length in images is. Fault `f` of `n` fires at a seeded point inside the `f`-th of `n`
 * equal stretches of the workload (between 5 % and 90 % of it), so faults cannot bunch up
 * whatever the pace. A fault that outlasts its stretch delays the next; consecutive faults are
 * at least `minGapMs` apart, also after the workload ends (then the rest fire during settling,
 * each after the gap, and are marked so in the report).
 */

/** Share of the workload before the first possible fault (the pipeline is warming up). */
const FIRST_AT = 0.05;
/** Share of the workload after which no fault is planned (so each one still meets traffic). */
const LAST_AT = 0.9;

/** One planned fault: its kind and the image count at which it fires. */
export interface PlannedFault<K extends string = string> {
  kind: K;
  /** Fires once this many images were taken up by the workload. */
  atImage: number;
}

/**
 * Seeded moments for `kinds`, in order, spread over a workload of `events` images: one per
 * equal stretch of [5 %, 90 %] of it, at a uniform point within the stretch, never two at one
 * image (when there are more faults than images, the surplus share the last).
 *
 * @param random a seeded source of numbers in [0, 1).
 * @throws RangeError when `events` is not a positive integer.
 * @example
 * planFaults(['kill-stream-runner', 'poison-events'], 200, random); // e.g. [{ atImage: 61 }, { atImage: 133 }]
 */
export function planFaults<K extends string>(kinds: readonly K[], events: number, random: () => number): PlannedFault<K>[] {
  if (!Number.isInteger(events) || events < 1) throw new RangeError(`events must be a positive integer, got ${events}`);
  const from = events * FIRST_AT;
  const span = events * (LAST_AT - FIRST_AT);
  const stretch = span / Math.max(1, kinds.length);
  let previous = -1;
  return kinds.map((kind, f) => {
    const planned = Math.floor(from + stretch * (f + random()));
    const atImage = Math.min(events - 1, Math.max(planned, previous + 1));
    previous = atImage;
    return { kind, atImage };
  });
}

/** A fault as the report lists it. */
export interface FiredFault<K extends string = string> {
  kind: K;
  /** ISO time the fault started. */
  at: string;
  /** Seconds since the workload started. */
  atSeconds: number;
  /** Images taken up by the workload when it fired. */
  atImage: number;
  /** How long the fault (and the recovery it waits for) took. */
  seconds: number;
  /** True when the workload had ended before it fired. */
  afterWorkload: boolean;
  /** Why it could not be injected, when it could not. */
  error?: string;
}

/** What {@link runChaos} needs from the run. */
export interface ChaosDriver<K extends string> {
  plan: readonly PlannedFault<K>[];
  /** Images the workload has taken up so far. */
  progress: () => number;
  workloadDone: () => boolean;
  /** Injects one fault and resolves once it is over (the thing killed is back). */
  fire: (kind: K) => Promise<void>;
  /** Least time between the start of one fault and the start of the next. */
  minGapMs: number;
  /** Stop waiting and firing (the run is ending). */
  stopped: () => boolean;
  /** @default Date.now */
  now?: () => number;
  /** @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
  /** How often progress is looked at. @default 200 */
  pollMs?: number;
}

/**
 * Fires the plan's faults one at a time, each when the workload reaches its image (or, after
 * the workload, when the gap has passed), never two at once: the next waits for the previous to
 * finish. Bounded: each fault is awaited, and the waits end when the run stops.
 *
 * @returns every fault that fired, with its time and kind, in order.
 */
export async function runChaos<K extends string>(driver: ChaosDriver<K>): Promise<FiredFault<K>[]> {
  const now = driver.now ?? Date.now;
  const sleep = driver.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const pollMs = driver.pollMs ?? 200;
  const started = now();
  const fired: FiredFault<K>[] = [];
  let lastStart = Number.NEGATIVE_INFINITY;
  for (const planned of driver.plan) {
    while (!driver.stopped() && (now() - lastStart < driver.minGapMs || (!driver.workloadDone() && driver.progress() < planned.atImage))) await sleep(pollMs);
    if (driver.stopped()) break;
    lastStart = now();
    const entry: FiredFault<K> = { kind: planned.kind, at: new Date(lastStart).toISOString(), atSeconds: Math.round((lastStart - started) / 100) / 10, atImage: driver.progress(), seconds: 0, afterWorkload: driver.workloadDone() };
    try {
      await driver.fire(planned.kind);
    } catch (error) {
      entry.error = (error as Error).message;
    }
    entry.seconds = Math.round((now() - lastStart) / 100) / 10;
    fired.push(entry);
  }
  return fired;
}
