import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidParameterError } from '../../../core/errors';
import { resolveStackProps } from '../../../cdktf/props';
import { DEFAULT_PRICES, DEFAULT_QUOTAS, MEASURED_COSTS, loadInputs } from '../../../bench/capacity/inputs';
import {
  componentLimits,
  costPerMillion,
  planForTarget,
  restDurationMs,
  streamImagesPerInvocation,
  sustainableRate,
  type CapacityInputs,
  type DeploymentSettings,
} from '../../../bench/capacity/model';
import { capacityReport, parseCapacityArgs } from '../../../bench/capacity/run';

/** Round numbers so every expectation below can be checked by hand. */
function handInputs(settings: Partial<DeploymentSettings> = {}): CapacityInputs {
  return {
    measured: { ...MEASURED_COSTS, cpuMsPerImage: 200, cpuUtilisation: 1, ioWaitMsPerImage: 100, peakRssMiB: 300, recordsInFlightAtPeakRss: 4 },
    quotas: { ...DEFAULT_QUOTAS, lambdaMbPerVcpu: 1000 },
    prices: { ...DEFAULT_PRICES },
    settings: {
      imageTopicPartitions: 10,
      maximumPollers: 100,
      brokerCount: 3,
      replicationFactor: 3,
      streamMemoryMb: 2000,
      recordConcurrency: 4,
      restMemoryMb: 1000,
      restReservedConcurrency: 300,
      apiThrottleRate: 5000,
      statusShards: 1,
      largestCustomerShare: 0.1,
      s3KeyRanges: 8,
      ...settings,
    },
  };
}

describe('capacity model', () => {
  it('one invocation with 2 vCPUs at 200 CPU-ms per image makes 10 images/s; 10 partitions make 100', () => {
    const inputs = handInputs();
    expect(streamImagesPerInvocation(inputs.measured, inputs.quotas, inputs.settings)).toBe(10);
    const stream = componentLimits(inputs).find((l) => l.component.startsWith('stream consumer'));
    expect(stream?.imagesPerSecond).toBe(100);
  });

  it('finds the unsharded status key as the first bottleneck once compute is plentiful (1,000 WCU ÷ 4 = 250 images/s)', () => {
    const inputs = handInputs({ imageTopicPartitions: 1000 });
    const [stream, rest] = sustainableRate(inputs);
    expect(stream?.imagesPerSecond).toBe(250);
    expect(stream?.bottleneck.component).toBe('DynamoDB byStatusDay hottest key');
    // REST: 300 concurrent ÷ (200 ms at 1 vCPU + 100 ms waits) = 1,000/s, so the status key binds there too.
    expect(restDurationMs(inputs.measured, inputs.quotas, 1000)).toBe(300);
    expect(rest?.bottleneck.component).toBe('DynamoDB byStatusDay hottest key');
  });

  it('moves the bottleneck when the key is sharded: 32 shards → 8,000/s, then the customer key (1,000 ÷ (5 × 0.1) = 2,000/s)', () => {
    const limits = componentLimits(handInputs({ imageTopicPartitions: 1000, statusShards: 32 }));
    expect(limits.find((l) => l.component === 'DynamoDB byStatusDay hottest key')?.imagesPerSecond).toBe(8000);
    const [stream] = sustainableRate(handInputs({ imageTopicPartitions: 1000, statusShards: 32 }));
    // 1000 partitions × 10 = 10,000; pollers 100 × min(5 MB/s ÷ 1 KB, 5 × 10) = 5,000; customer key 2,000.
    expect(stream?.imagesPerSecond).toBe(2000);
    expect(stream?.bottleneck.component).toBe('DynamoDB byCustomer key of the largest customer');
  });

  it('finds S3 PUTs under processed/ first while time-ordered keys share one range, and not once the hash prefix spreads them', () => {
    // One range: 3,500 PUT/s ÷ 4 variants = 875 images/s, below the 1,000/s target.
    const oneRange = handInputs({ imageTopicPartitions: 1000, statusShards: 32, s3KeyRanges: 1 });
    const [stream] = sustainableRate(oneRange);
    expect(stream?.imagesPerSecond).toBe(875);
    expect(stream?.bottleneck.component).toBe('S3 PUTs under processed/<hash>/');
    // 256 ranges (core/keys.ts): 256 × 3,500 ÷ 4 = 224,000; raw 256 × 3,500 = 896,000; the customer key (2,000) binds again.
    const hashed = handInputs({ imageTopicPartitions: 1000, statusShards: 32, s3KeyRanges: 256 });
    const limits = componentLimits(hashed);
    expect(limits.find((l) => l.component === 'S3 PUTs under processed/<hash>/')?.imagesPerSecond).toBe(224_000);
    expect(limits.find((l) => l.component === 'S3 PUTs under raw/<hash>/')?.imagesPerSecond).toBe(896_000);
    expect(sustainableRate(hashed)[0]?.bottleneck.component).toBe('DynamoDB byCustomer key of the largest customer');
  });

  it('plans 1,000/s sustained and 5,000/s for 60 s by hand', () => {
    const plan = planForTarget(handInputs(), { sustained: 1000, peak: 5000, peakSeconds: 60, headroom: 0.5, streamVcpus: 2 });
    expect(plan.imageTopicPartitions).toBe(200); // 1000 ÷ (10 × 0.5)
    expect(plan.maximumPollers).toBe(40); // 200 partitions ÷ 5 invocations per poller
    expect(plan.minimumPollers).toBe(40);
    expect(plan.restReservedConcurrency).toBe(600); // 1000 × 0.3 s ÷ 0.5
    expect(plan.restConcurrencyAtPeak).toBe(1500); // 5000 × 0.3 s
    expect(plan.statusShards).toBe(40); // 5000 × 4 WCU ÷ (1000 × 0.5)
    expect(plan.tableWriteUnitsAtPeak).toBe(25_000);
    // 5000 × 4 PUTs ÷ (3500 × 0.5) = 11.4 → 12; raw 5000 ÷ 1750 = 2.9 → 3: a single raw range would not take the peak.
    expect(plan.s3PartitionsAtPeak).toEqual({ processed: 12, raw: 3, keyRanges: 8 });
    expect(plan.backlogAfterPeak).toBe(180_000); // (5000 − 2000) × 60
    expect(plan.drainMinutes).toBe(3); // 180,000 ÷ (2000 − 1000) ÷ 60
    expect(plan.apiThrottleRate).toBe(2000);
    expect(plan.accountConcurrencyAtPeak).toBe(1700);
  });

  it('sizes stream memory from the bench peak RSS when that exceeds the vCPU choice', () => {
    // 300 MiB ÷ 4 records × 16 records × 1.5 = 1,800 MiB = 1,888 MB > 1 vCPU (1,000 MB here).
    const plan = planForTarget(handInputs({ recordConcurrency: 16 }), { sustained: 100, peak: 100, peakSeconds: 1, streamVcpus: 1 });
    expect(plan.streamMemoryMb).toBe(1888);
  });

  it('prices a million images: 5 PUTs ($25), 16 write units ($10), 1 publish ($0.50), compute at one vCPU', () => {
    const cost = costPerMillion(handInputs());
    expect(cost.s3Puts).toBeCloseTo(25, 6);
    expect(cost.dynamoWrites).toBeCloseTo(10, 6);
    expect(cost.sns).toBeCloseTo(0.5, 6);
    // 0.2 s × (1000 MB ÷ 1024) GB-s × $0.0000133334 × 1e6
    expect(cost.lambdaCompute).toBeCloseTo(0.2 * (1000 / 1024) * 13.3334, 4);
    expect(cost.totalRest - cost.totalStream).toBeCloseTo(3.5 + 0.2 - 0.002, 6);
  });

  it('rejects nonsense inputs with the uniform message', () => {
    const bad = handInputs();
    bad.measured.cpuMsPerImage = 0;
    expect(() => componentLimits(bad)).toThrow(InvalidParameterError);
    expect(() => componentLimits(bad)).toThrow(/Expected a positive number for measured.cpuMsPerImage but received 0/);
    expect(() => planForTarget(handInputs(), { sustained: 1000, peak: 500, peakSeconds: 60 })).toThrow(/for peak/);
  });
});

describe('make capacity', () => {
  it('reads the prod props and names today\'s first bottleneck of each path', () => {
    const report = capacityReport(parseCapacityArgs([]));
    expect(report).toContain('Capacity of the "prod" stack');
    expect(report).toMatch(/sustainable stream rate: [\d,]+ images\/s; first bottleneck: /);
    expect(report).toContain('image topic partitions        175');
    expect(report).toMatch(/stream path \d+\.\d\d; REST path \d+\.\d\d/);
  });

  it('merges a JSON file of overrides and refuses unknown names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'capacity-'));
    try {
      const file = join(dir, 'inputs.json');
      writeFileSync(file, JSON.stringify({ measured: { cpuMsPerImage: 112 } }));
      const props = resolveStackProps('prod', { bundling: { mode: 'skip' } });
      expect(loadInputs(props, file).measured.cpuMsPerImage).toBe(112);
      expect(loadInputs(props, file).settings.imageTopicPartitions).toBe(180);
      writeFileSync(file, JSON.stringify({ measured: { cpuPerImage: 1 } }));
      expect(() => loadInputs(props, file)).toThrow(/--inputs.measured.cpuPerImage/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(() => parseCapacityArgs(['--target=fast'])).toThrow(/Expected a positive number for --target/);
    expect(parseCapacityArgs(['--target=2000', '--peak=8000', '--environment=dev'])).toMatchObject({ target: 2000, peak: 8000, environment: 'dev' });
  });
});
