/**
 * The capacity model behind docs/capacity.md and `make capacity`: from the measured cost of one
 * image and the AWS quotas, the image rate each component sustains, the first bottleneck, the
 * settings a target rate needs, and the cost per million images. Pure arithmetic, no I/O.
 */
import { invalidParameterError } from '../../core/errors';

/** What one image costs, as `make bench` and the local table measured it. */
export interface MeasuredCosts {
  /** Our process's CPU per image (stream consumer, `make bench`). */
  cpuMsPerImage: number;
  /** Peak RSS of the consumer with `recordsInFlightAtPeakRss` 10 MiB JPEGs in flight. */
  peakRssMiB: number;
  recordsInFlightAtPeakRss: number;
  /** Wall time per image spent waiting on AWS calls that CPU work does not overlap (REST path). */
  ioWaitMsPerImage: number;
  /** Share of its vCPUs a function keeps busy (batch gaps, GC, waits). */
  cpuUtilisation: number;
  /** Bytes of one record on the image topic (a claim-check reference is ~1 KB; inline images are bigger). */
  kafkaRecordBytes: number;
  /** Write units one image costs on the table: put RECEIVED (1) + PROCESSED (2) + notifiedAt (2). */
  tableWriteUnits: number;
  /** Write units on `byStatusDay`: put (1) + delete old key (1) + put new key (2) + notifiedAt (2). */
  statusIndexWriteUnits: number;
  /** Of those, on the single hottest key (PROCESSED: put 2 + notifiedAt 2). */
  statusIndexHotKeyWriteUnits: number;
  /** Write units on `byCustomer`, all on the customer's key: 1 + 2 + 2. */
  customerIndexWriteUnits: number;
  /** S3 PUTs per image under `processed/<hash>/` (one per variant). */
  processedPuts: number;
  /** S3 PUTs per image under `raw/<hash>/`. */
  rawPuts: number;
  snsPublishes: number;
  /** KMS requests per image; 0 with S3 Bucket Keys (S3 reuses a bucket-level data key). */
  kmsRequests: number;
}

/** Service limits, each from the AWS page named in docs/capacity.md. */
export interface Quotas {
  dynamoPartitionWriteUnits: number;
  /** On-demand table-level (and per-GSI) write throughput quota. */
  dynamoTableWriteUnits: number;
  s3PutsPerPrefix: number;
  snsPublishesPerSecond: number;
  kmsRequestsPerSecond: number;
  apiAccountRequestsPerSecond: number;
  lambdaAccountConcurrency: number;
  /** Memory at which a function has one vCPU. */
  lambdaMbPerVcpu: number;
  lambdaMaxMemoryMb: number;
  /** Throughput of one provisioned event poller. */
  pollerMBps: number;
  /** Concurrent invocations one event poller drives. */
  invocationsPerPoller: number;
  maxPollers: number;
  /** Recommended partitions (leaders and followers) per MSK broker of the chosen size. */
  partitionsPerBroker: number;
  /** Sustained ingress one broker of the chosen size takes (an assumption to replace with a load test). */
  brokerIngressMBps: number;
}

/** Prices (us-east-1, USD) for the cost per million images. */
export interface Prices {
  lambdaGbSecond: number;
  lambdaRequest: number;
  dynamoWriteUnit: number;
  s3Put: number;
  snsPublish: number;
  apiRequest: number;
}

/** The deployment's choices: what the CDKTF props set. */
export interface DeploymentSettings {
  imageTopicPartitions: number;
  maximumPollers: number;
  brokerCount: number;
  replicationFactor: number;
  streamMemoryMb: number;
  /** Records one stream invocation works on at once. */
  recordConcurrency: number;
  restMemoryMb: number;
  restReservedConcurrency: number;
  apiThrottleRate: number;
  statusShards: number;
  /** Share of all images from the largest customer (its byCustomer key takes that share). */
  largestCustomerShare: number;
  /**
   * Key ranges S3 can partition `raw/` and `processed/` writes into: 256 with the 2-hex hash
   * prefix of `core/keys.ts` (1 for time-ordered ids without it). S3 splits a range as load
   * grows, so this is the ceiling the layout allows, reached after S3 has scaled.
   */
  s3KeyRanges: number;
}

/** Everything the model reads. */
export interface CapacityInputs {
  measured: MeasuredCosts;
  quotas: Quotas;
  prices: Prices;
  settings: DeploymentSettings;
}

/** Which ingestion path a limit applies to. */
export type IngestPath = 'stream' | 'rest' | 'both';

/** One component's limit, as the image rate it sustains. */
export interface ComponentLimit {
  component: string;
  path: IngestPath;
  imagesPerSecond: number;
  /** How the figure was reached. */
  basis: string;
}

/** Images one stream invocation processes per second: its vCPUs' share of our CPU per image. */
export function streamImagesPerInvocation(m: MeasuredCosts, q: Quotas, s: Pick<DeploymentSettings, 'streamMemoryMb' | 'recordConcurrency'>): number {
  const vcpus = s.streamMemoryMb / q.lambdaMbPerVcpu;
  // Work in flight caps how many vCPUs can be used; memory caps how much can be in flight.
  const usable = Math.min(vcpus, s.recordConcurrency);
  return (usable * 1000 * m.cpuUtilisation) / m.cpuMsPerImage;
}

/** Wall time of one REST invocation (one image): CPU at the function's vCPU share, plus AWS waits. */
export function restDurationMs(m: MeasuredCosts, q: Quotas, memoryMb: number): number {
  const vcpus = Math.min(1, memoryMb / q.lambdaMbPerVcpu);
  return m.cpuMsPerImage / vcpus + m.ioWaitMsPerImage;
}

/** Memory a stream invocation needs for `recordConcurrency` images in flight (from the bench's peak RSS). */
export function streamMemoryNeededMb(m: MeasuredCosts, recordConcurrency: number): number {
  return Math.ceil(((m.peakRssMiB / m.recordsInFlightAtPeakRss) * recordConcurrency * 1.5 * 1048576) / 1e6);
}

/**
 * The image rate every component sustains with the given settings, lowest first.
 * @throws InvalidParameterError when an input is not a positive finite number.
 */
export function componentLimits(inputs: CapacityInputs): ComponentLimit[] {
  validateInputs(inputs);
  const { measured: m, quotas: q, settings: s } = inputs;
  const perInvocation = streamImagesPerInvocation(m, q, s);
  const recordMB = m.kafkaRecordBytes / 1e6;
  const restMs = restDurationMs(m, q, s.restMemoryMb);
  const limits: ComponentLimit[] = [
    {
      component: 'stream consumer: one invocation per partition',
      path: 'stream',
      imagesPerSecond: s.imageTopicPartitions * perInvocation,
      basis: `${s.imageTopicPartitions} partitions × ${round(perInvocation)} img/s per invocation (${round(s.streamMemoryMb / q.lambdaMbPerVcpu)} vCPU, ${m.cpuMsPerImage} CPU-ms/img)`,
    },
    {
      component: 'ESM provisioned pollers',
      path: 'stream',
      imagesPerSecond: s.maximumPollers * Math.min(q.pollerMBps / recordMB, q.invocationsPerPoller * perInvocation),
      basis: `${s.maximumPollers} pollers × min(${q.pollerMBps} MB/s ÷ ${m.kafkaRecordBytes} B, ${q.invocationsPerPoller} invocations)`,
    },
    {
      component: 'MSK broker ingress',
      path: 'stream',
      imagesPerSecond: (s.brokerCount * q.brokerIngressMBps) / (recordMB * s.replicationFactor),
      basis: `${s.brokerCount} brokers × ${q.brokerIngressMBps} MB/s ÷ (${m.kafkaRecordBytes} B × RF ${s.replicationFactor})`,
    },
    {
      component: 'REST Lambda reserved concurrency',
      path: 'rest',
      imagesPerSecond: (s.restReservedConcurrency * 1000) / restMs,
      basis: `${s.restReservedConcurrency} concurrent ÷ ${Math.round(restMs)} ms per image`,
    },
    { component: 'API Gateway stage throttle', path: 'rest', imagesPerSecond: s.apiThrottleRate, basis: `stage rate limit ${s.apiThrottleRate} req/s` },
    { component: 'API Gateway account throttle', path: 'rest', imagesPerSecond: q.apiAccountRequestsPerSecond, basis: `${q.apiAccountRequestsPerSecond} req/s per account and Region` },
    {
      component: 'DynamoDB byStatusDay hottest key',
      path: 'both',
      imagesPerSecond: (s.statusShards * q.dynamoPartitionWriteUnits) / m.statusIndexHotKeyWriteUnits,
      basis: `${s.statusShards} shard(s) × ${q.dynamoPartitionWriteUnits} WCU/s ÷ ${m.statusIndexHotKeyWriteUnits} WCU per image on PROCESSED#day`,
    },
    {
      component: 'DynamoDB byCustomer key of the largest customer',
      path: 'both',
      imagesPerSecond: q.dynamoPartitionWriteUnits / (m.customerIndexWriteUnits * s.largestCustomerShare),
      basis: `${q.dynamoPartitionWriteUnits} WCU/s ÷ (${m.customerIndexWriteUnits} WCU × ${s.largestCustomerShare} share of images)`,
    },
    {
      component: 'DynamoDB table write quota',
      path: 'both',
      imagesPerSecond: q.dynamoTableWriteUnits / Math.max(m.tableWriteUnits, m.statusIndexWriteUnits, m.customerIndexWriteUnits),
      basis: `${q.dynamoTableWriteUnits} WCU/s per table and per GSI ÷ ${Math.max(m.tableWriteUnits, m.statusIndexWriteUnits, m.customerIndexWriteUnits)} WCU on the busiest of them`,
    },
    {
      component: 'S3 PUTs under processed/<hash>/',
      path: 'both',
      imagesPerSecond: (s.s3KeyRanges * q.s3PutsPerPrefix) / m.processedPuts,
      basis: `${s.s3KeyRanges} key range(s) × ${q.s3PutsPerPrefix} PUT/s ÷ ${m.processedPuts} PUTs per image`,
    },
    {
      component: 'S3 PUTs under raw/<hash>/',
      path: 'both',
      imagesPerSecond: (s.s3KeyRanges * q.s3PutsPerPrefix) / m.rawPuts,
      basis: `${s.s3KeyRanges} key range(s) × ${q.s3PutsPerPrefix} PUT/s ÷ ${m.rawPuts} PUT per image`,
    },
    { component: 'SNS Publish', path: 'both', imagesPerSecond: q.snsPublishesPerSecond / m.snsPublishes, basis: `${q.snsPublishesPerSecond} publishes/s ÷ ${m.snsPublishes}` },
  ];
  if (m.kmsRequests > 0) {
    limits.push({ component: 'KMS requests', path: 'both', imagesPerSecond: q.kmsRequestsPerSecond / m.kmsRequests, basis: `${q.kmsRequestsPerSecond} req/s ÷ ${m.kmsRequests} per image` });
  }
  return limits.sort((a, b) => a.imagesPerSecond - b.imagesPerSecond);
}

/** The rate one path sustains and the component that sets it. */
export interface PathCapacity {
  path: 'stream' | 'rest';
  imagesPerSecond: number;
  bottleneck: ComponentLimit;
}

/** Sustainable rate and first bottleneck of each path. */
export function sustainableRate(inputs: CapacityInputs): PathCapacity[] {
  const limits = componentLimits(inputs);
  return (['stream', 'rest'] as const).map((path) => {
    const bottleneck = limits.find((l) => l.path === path || l.path === 'both') as ComponentLimit;
    return { path, imagesPerSecond: bottleneck.imagesPerSecond, bottleneck };
  });
}

/** What a target needs. */
export interface TargetPlan {
  /** Sustained rate the plan is sized for (images/s). */
  sustained: number;
  /** Peak rate and how long it lasts. */
  peak: number;
  peakSeconds: number;
  /** Every limit may be used up to this fraction. */
  headroom: number;
  imageTopicPartitions: number;
  minimumPollers: number;
  maximumPollers: number;
  streamMemoryMb: number;
  streamReservedConcurrency: number;
  /** Reserved concurrency of the REST function for the sustained rate, and what the peak needs. */
  restReservedConcurrency: number;
  restConcurrencyAtPeak: number;
  apiThrottleRate: number;
  apiThrottleBurst: number;
  statusShards: number;
  /** Table write units per second at the peak (on-demand warm throughput to pre-provision). */
  tableWriteUnitsAtPeak: number;
  statusIndexWriteUnitsAtPeak: number;
  /** S3 partitions the peak's PUTs need (processed and raw), against the key ranges the layout offers. */
  s3PartitionsAtPeak: { processed: number; raw: number; keyRanges: number };
  /** MSK brokers (a multiple of 3) for partitions and ingress. */
  brokerCount: number;
  /** Events left on the topic after the peak when the stream path runs at its sustained size, and minutes to drain them. */
  backlogAfterPeak: number;
  drainMinutes: number;
  /** Account concurrency the plan uses at the peak (stream + REST). */
  accountConcurrencyAtPeak: number;
}

/**
 * The settings a sustained rate and a peak need. The stream path is sized for the sustained
 * rate: the topic absorbs the peak and drains it afterwards. The REST path has no buffer: the
 * peak needs Lambda concurrency (and API Gateway burst) at once.
 *
 * @throws InvalidParameterError when a rate is not positive or the peak is below the sustained rate.
 * @example
 * planForTarget(DEFAULT_INPUTS, { sustained: 1000, peak: 5000, peakSeconds: 60 });
 */
export function planForTarget(
  inputs: CapacityInputs,
  target: { sustained: number; peak: number; peakSeconds: number; headroom?: number; streamVcpus?: number },
): TargetPlan {
  validateInputs(inputs);
  // Two vCPUs with four records in flight is what `make bench` measured (2 cores, 4 in flight).
  const { sustained, peak, peakSeconds, headroom = 0.8, streamVcpus = 2 } = target;
  requirePositive('sustained', sustained);
  requirePositive('peakSeconds', peakSeconds);
  if (!(peak >= sustained)) throw invalidParameterError('peak', `a rate at least the sustained rate (${sustained})`, peak);
  if (!(headroom > 0 && headroom <= 1)) throw invalidParameterError('headroom', 'a fraction in (0, 1]', headroom);
  const { measured: m, quotas: q, settings: s } = inputs;

  requirePositive('streamVcpus', streamVcpus);
  const streamMemoryMb = Math.min(q.lambdaMaxMemoryMb, Math.max(Math.ceil(streamVcpus * q.lambdaMbPerVcpu), streamMemoryNeededMb(m, s.recordConcurrency)));
  const perInvocation = streamImagesPerInvocation(m, q, { streamMemoryMb, recordConcurrency: s.recordConcurrency });
  const imageTopicPartitions = Math.ceil(sustained / (perInvocation * headroom));
  const streamCapacity = imageTopicPartitions * perInvocation;
  const recordMB = m.kafkaRecordBytes / 1e6;
  const pollersForBytes = Math.ceil((peak * recordMB) / (q.pollerMBps * headroom));
  const pollersForInvocations = Math.ceil(imageTopicPartitions / q.invocationsPerPoller);
  const maximumPollers = Math.min(q.maxPollers, Math.max(pollersForBytes, pollersForInvocations));
  // Enough pollers to drive every partition at once, so the sustained rate needs no scale-up.
  const minimumPollers = Math.max(1, Math.min(200, maximumPollers, Math.max(Math.ceil((sustained * recordMB) / q.pollerMBps), pollersForInvocations)));

  const restMs = restDurationMs(m, q, s.restMemoryMb);
  const restReservedConcurrency = Math.ceil((sustained * restMs) / 1000 / headroom);
  const restConcurrencyAtPeak = Math.ceil((peak * restMs) / 1000);

  const statusShards = Math.ceil((peak * m.statusIndexHotKeyWriteUnits) / (q.dynamoPartitionWriteUnits * headroom));
  const replicas = (imageTopicPartitions + 3) * s.replicationFactor;
  const brokersForPartitions = Math.ceil(replicas / q.partitionsPerBroker);
  const brokersForIngress = Math.ceil((peak * recordMB * s.replicationFactor) / (q.brokerIngressMBps * headroom));
  const brokerCount = Math.max(3, Math.ceil(Math.max(brokersForPartitions, brokersForIngress) / 3) * 3);

  const backlogAfterPeak = Math.max(0, Math.round((peak - streamCapacity) * peakSeconds));
  const spare = streamCapacity - sustained;
  const drainMinutes = backlogAfterPeak === 0 ? 0 : spare > 0 ? backlogAfterPeak / spare / 60 : Number.POSITIVE_INFINITY;

  return {
    sustained,
    peak,
    peakSeconds,
    headroom,
    imageTopicPartitions,
    minimumPollers,
    maximumPollers,
    streamMemoryMb,
    streamReservedConcurrency: imageTopicPartitions,
    restReservedConcurrency,
    restConcurrencyAtPeak,
    apiThrottleRate: Math.ceil(sustained / headroom),
    apiThrottleBurst: Math.min(5000, Math.ceil(peak)),
    statusShards,
    tableWriteUnitsAtPeak: Math.ceil(peak * m.tableWriteUnits),
    statusIndexWriteUnitsAtPeak: Math.ceil(peak * m.statusIndexWriteUnits),
    s3PartitionsAtPeak: {
      processed: Math.ceil((peak * m.processedPuts) / (q.s3PutsPerPrefix * headroom)),
      raw: Math.ceil((peak * m.rawPuts) / (q.s3PutsPerPrefix * headroom)),
      keyRanges: s.s3KeyRanges,
    },
    brokerCount,
    backlogAfterPeak,
    drainMinutes,
    accountConcurrencyAtPeak: imageTopicPartitions + restConcurrencyAtPeak,
  };
}

/** Cost of a million images, by service (USD). */
export interface CostPerMillion {
  lambdaCompute: number;
  lambdaRequests: number;
  dynamoWrites: number;
  s3Puts: number;
  sns: number;
  /** Only for images that arrive through API Gateway. */
  apiGateway: number;
  /** Stream path (no API Gateway). */
  totalStream: number;
  /** REST path. */
  totalRest: number;
}

/**
 * Request and compute cost of a million images. Excludes what does not scale per image: MSK
 * brokers, NAT, storage (7 days), provisioned pollers' hourly charge, data transfer.
 */
export function costPerMillion(inputs: CapacityInputs, batchSize = 100): CostPerMillion {
  validateInputs(inputs);
  const { measured: m, quotas: q, prices: p } = inputs;
  const million = 1e6;
  // GB-seconds per image: CPU time at one vCPU (1,769 MB) over the utilisation actually reached.
  const gbSeconds = (m.cpuMsPerImage / 1000 / m.cpuUtilisation) * (q.lambdaMbPerVcpu / 1024);
  const lambdaCompute = million * gbSeconds * p.lambdaGbSecond;
  const dynamoWrites = million * (m.tableWriteUnits + m.statusIndexWriteUnits + m.customerIndexWriteUnits) * p.dynamoWriteUnit;
  const s3Puts = million * (m.processedPuts + m.rawPuts) * p.s3Put;
  const sns = million * m.snsPublishes * p.snsPublish;
  const common = lambdaCompute + dynamoWrites + s3Puts + sns;
  const streamRequests = (million / batchSize) * p.lambdaRequest;
  const restRequests = million * p.lambdaRequest;
  const apiGateway = million * p.apiRequest;
  return {
    lambdaCompute,
    lambdaRequests: restRequests,
    dynamoWrites,
    s3Puts,
    sns,
    apiGateway,
    totalStream: common + streamRequests,
    totalRest: common + restRequests + apiGateway,
  };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function requirePositive(name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw invalidParameterError(name, 'a positive number', value);
}

/** Every number in the inputs must be positive and finite (KMS requests may be 0). */
function validateInputs(inputs: CapacityInputs): void {
  for (const [group, values] of Object.entries(inputs) as [string, Record<string, number>][]) {
    for (const [name, value] of Object.entries(values)) {
      if (group === 'measured' && name === 'kmsRequests' && value === 0) continue;
      requirePositive(`${group}.${name}`, value);
    }
  }
  if (inputs.measured.cpuUtilisation > 1) throw invalidParameterError('measured.cpuUtilisation', 'a fraction in (0, 1]', inputs.measured.cpuUtilisation);
  if (inputs.settings.largestCustomerShare > 1) throw invalidParameterError('settings.largestCustomerShare', 'a fraction in (0, 1]', inputs.settings.largestCustomerShare);
}
