/**
 * The chaos driver's schedule: seeded moments spread over the whole workload, one fault at a
 * time, never a burst when the workload ends before the faults do. Time is simulated (an
 * injected clock and sleep), so nothing here waits.
 */
import { planFaults, runChaos } from '../../../soak/chaos';
import { seededUint32 } from '../../helpers/images';

const seeded = (seed: number) => {
  const next = seededUint32(seed);
  return () => next() / 4294967296;
};
const KINDS = ['kill-stream-runner', 'kill-rest-adapter', 'kill-partition-leader', 'freeze-moto-aws', 'freeze-moto-dynamodb', 'poison-events'] as const;

describe('planFaults', () => {
  it('puts one fault in each equal stretch of 5–90 % of the workload, in order', () => {
    const events = 10_000;
    const plan = planFaults([...KINDS, ...KINDS], events, seeded(7));
    expect(plan.map((p) => p.kind)).toEqual([...KINDS, ...KINDS]);
    const stretch = (events * 0.85) / plan.length;
    plan.forEach((p, f) => {
      expect(p.atImage).toBeGreaterThanOrEqual(Math.floor(events * 0.05 + stretch * f));
      expect(p.atImage).toBeLessThan(Math.ceil(events * 0.05 + stretch * (f + 1)));
    });
  });

  it('is the same for the same seed and differs for another', () => {
    const a = planFaults(KINDS, 2000, seeded(1)).map((p) => p.atImage);
    expect(planFaults(KINDS, 2000, seeded(1)).map((p) => p.atImage)).toEqual(a);
    expect(planFaults(KINDS, 2000, seeded(2)).map((p) => p.atImage)).not.toEqual(a);
  });

  it('never plans two faults at one image, even with more faults than images', () => {
    const plan = planFaults(KINDS, 4, seeded(3));
    const distinct = new Set(plan.slice(0, 3).map((p) => p.atImage));
    expect(distinct.size).toBe(3);
    expect(plan.every((p) => p.atImage >= 0 && p.atImage <= 3)).toBe(true);
  });

  it('refuses a workload of no images', () => {
    expect(() => planFaults(KINDS, 0, seeded(1))).toThrow(RangeError);
  });
});

/** A simulated clock whose sleep advances time and the workload's progress (images per ms). */
function simulation(options: { imagesPerMs: number; events: number; faultMs: number }) {
  let now = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const starts: number[] = [];
  const progress = () => Math.min(options.events, Math.floor(now * options.imagesPerMs));
  return {
    driver: {
      progress,
      workloadDone: () => progress() >= options.events,
      stopped: () => false,
      now: () => now,
      sleep: async (ms: number) => void (now += ms),
      fire: async () => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        starts.push(now);
        now += options.faultMs;
        inFlight -= 1;
      },
    },
    starts,
    maxInFlight: () => maxInFlight,
  };
}

describe('runChaos', () => {
  it('fires each planned fault when the workload reaches its image, one at a time', async () => {
    const sim = simulation({ imagesPerMs: 0.01, events: 2000, faultMs: 5000 });
    const plan = planFaults(KINDS, 2000, seeded(5));

    const fired = await runChaos({ ...sim.driver, plan, minGapMs: 10_000, pollMs: 100 });

    expect(fired.map((f) => f.kind)).toEqual([...KINDS]);
    fired.forEach((f, i) => expect(f.atImage).toBeGreaterThanOrEqual(plan[i]!.atImage));
    expect(fired.every((f) => !f.afterWorkload)).toBe(true);
    expect(sim.maxInFlight()).toBe(1);
    // Spread over the workload (2000 images at 0.01/ms: 200 s), not bunched at its end.
    expect(sim.starts[0]!).toBeLessThan(60_000);
    expect(sim.starts.at(-1)!).toBeGreaterThan(140_000);
  });

  it('keeps the gap between faults when the workload ends first, instead of firing the rest at once', async () => {
    // Each fault takes 60 s while the workload is over in 20 s: most faults are left for after it.
    const sim = simulation({ imagesPerMs: 0.01, events: 200, faultMs: 60_000 });
    const plan = planFaults(KINDS, 200, seeded(9));

    const fired = await runChaos({ ...sim.driver, plan, minGapMs: 10_000, pollMs: 100 });

    expect(fired).toHaveLength(KINDS.length);
    expect(fired.some((f) => f.afterWorkload)).toBe(true);
    for (let i = 1; i < sim.starts.length; i++) expect(sim.starts[i]! - sim.starts[i - 1]!).toBeGreaterThanOrEqual(10_000);
    expect(sim.maxInFlight()).toBe(1);
    expect(fired.map((f) => f.kind)).toEqual([...KINDS]);
  });

  it('records a fault that could not be injected and goes on', async () => {
    const sim = simulation({ imagesPerMs: 1, events: 100, faultMs: 0 });
    const plan = planFaults(['a', 'b'] as const, 100, seeded(1));
    const fired = await runChaos({ ...sim.driver, plan, minGapMs: 0, pollMs: 1, fire: async (kind) => { if (kind === 'a') throw new Error('no leader'); } });
    expect(fired.map((f) => [f.kind, f.error])).toEqual([['a', 'no leader'], ['b', undefined]]);
  });
});
