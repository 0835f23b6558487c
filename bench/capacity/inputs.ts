/**
 * Default inputs of the capacity model. Every figure names where it comes from; AWS pages were
 * read on 2026-11-30 (titles and addresses in docs/capacity.md). Override any of them with a JSON
 * file: `make capacity ARGS="--inputs=my-inputs.json"` (a partial object, merged per group).
 */
import { readFileSync } from 'node:fs';
import { invalidParameterError } from '../../core/errors';
import { kafkaTopicPlan } from '../../cdktf/constructs/streaming';
import { KEY_HASH_PREFIXES } from '../../core/constants';
import { DEFAULT_VARIANTS } from '../../core/image/variants';
import type { PipelineStackProps } from '../../cdktf/props';
import type { CapacityInputs, DeploymentSettings, MeasuredCosts, Prices, Quotas } from './model';

/** From `make bench` (README, run of 2026-11-22) and the local table's item sizes (2026-11-30). */
export const MEASURED_COSTS: MeasuredCosts = {
  cpuMsPerImage: 224, // "our CPU per image, stream consumer process"
  peakRssMiB: 299, // "consumer peak RSS, 10 MiB JPEGs (MALLOC_ARENA_MAX=2)"
  recordsInFlightAtPeakRss: 4, // "The consumer runs 4 records at a time"
  ioWaitMsPerImage: 150, // assumption: 9 AWS calls, partly parallel, ~10–20 ms each in-Region
  cpuUtilisation: 0.8, // assumption: batch gaps, GC and waits leave 20 % of the vCPUs idle
  kafkaRecordBytes: 1024, // a claim-check reference event; inline images are up to ~1 MB
  // Item sizes measured on the local table: RECEIVED ~400 B (1 WCU), PROCESSED with four variants
  // ~1.09 KB and ~1.12 KB with notifiedAt (2 WCU each; DynamoDB rounds each write up to 1 KB).
  tableWriteUnits: 5,
  statusIndexWriteUnits: 6,
  statusIndexHotKeyWriteUnits: 4,
  customerIndexWriteUnits: 5,
  processedPuts: DEFAULT_VARIANTS.length, // one PUT per variant of the default set (IMAGE_VARIANTS changes it)
  rawPuts: 1,
  snsPublishes: 1,
  kmsRequests: 0, // S3 Bucket Keys are on (cdktf/constructs/storage.ts)
};

/** AWS defaults (us-east-1) and MSK kafka.m7g.large figures. */
export const DEFAULT_QUOTAS: Quotas = {
  dynamoPartitionWriteUnits: 1000,
  dynamoTableWriteUnits: 40_000,
  s3PutsPerPrefix: 3500,
  snsPublishesPerSecond: 30_000,
  kmsRequestsPerSecond: 100_000,
  apiAccountRequestsPerSecond: 10_000,
  lambdaAccountConcurrency: 1000,
  lambdaMbPerVcpu: 1769,
  lambdaMaxMemoryMb: 10_240,
  pollerMBps: 5,
  invocationsPerPoller: 5,
  maxPollers: 2000,
  partitionsPerBroker: 1000,
  brokerIngressMBps: 30, // assumption for kafka.m7g.large with RF 3; replace with a load test
};

/** us-east-1 list prices. */
export const DEFAULT_PRICES: Prices = {
  lambdaGbSecond: 0.0000133334, // arm64
  lambdaRequest: 0.2 / 1e6,
  dynamoWriteUnit: 0.625 / 1e6, // on-demand write request unit
  s3Put: 0.005 / 1000,
  snsPublish: 0.5 / 1e6,
  apiRequest: 3.5 / 1e6, // REST API, first 333 million a month
};

/**
 * The settings a stack's props deploy, as the model sees them.
 * @param modelOnly what the props do not hold: the largest customer's share of images and how
 *   many S3 key ranges `raw/` and `processed/` writes spread over.
 */
export function settingsFromProps(
  props: PipelineStackProps,
  modelOnly: Pick<DeploymentSettings, 'largestCustomerShare' | 's3KeyRanges' | 'recordConcurrency'>,
): DeploymentSettings {
  const imageTopic = kafkaTopicPlan(props).find((t) => t.name === props.names.imageTopic);
  return {
    imageTopicPartitions: props.msk.imageTopicPartitions,
    maximumPollers: props.stream.maximumPollers,
    brokerCount: props.msk.brokerCount,
    replicationFactor: imageTopic?.replicationFactor ?? 3,
    streamMemoryMb: props.lambda.streamConsumer.memoryMb,
    restMemoryMb: props.lambda.ingestApi.memoryMb,
    restReservedConcurrency: props.lambda.ingestApi.reservedConcurrency ?? DEFAULT_QUOTAS.lambdaAccountConcurrency,
    apiThrottleRate: props.api.throttleRateLimit,
    statusShards: props.data.statusIndexShards,
    ...modelOnly,
  };
}

/**
 * What the props cannot say: one customer sends at most 10 % of images; the 2-hex hash prefix of
 * `core/keys.ts` spreads `raw/` and `processed/` writes over 256 key ranges (it was 1 before:
 * time-ordered ids put every write of a moment in one range).
 */
export const MODEL_ONLY_SETTINGS = { largestCustomerShare: 0.1, s3KeyRanges: KEY_HASH_PREFIXES, recordConcurrency: 4 } as const;

/**
 * Default inputs for a stack's props, with a JSON file's overrides merged per group.
 * @throws InvalidParameterError when the file is not a JSON object of known groups.
 */
export function loadInputs(props: PipelineStackProps, overridesFile?: string): CapacityInputs {
  const base: CapacityInputs = {
    measured: { ...MEASURED_COSTS },
    quotas: { ...DEFAULT_QUOTAS },
    prices: { ...DEFAULT_PRICES },
    settings: settingsFromProps(props, MODEL_ONLY_SETTINGS),
  };
  if (overridesFile === undefined) return base;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(overridesFile, 'utf8'));
  } catch {
    throw invalidParameterError('--inputs', 'a readable JSON file', overridesFile);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalidParameterError('--inputs', 'a JSON object', parsed);
  for (const [group, values] of Object.entries(parsed as Record<string, unknown>)) {
    if (!(group in base)) throw invalidParameterError(`--inputs.${group}`, `one of ${Object.keys(base).join(', ')}`, group);
    const target = base[group as keyof CapacityInputs] as unknown as Record<string, number>;
    for (const [name, value] of Object.entries(values as Record<string, unknown>)) {
      if (!(name in target)) throw invalidParameterError(`--inputs.${group}.${name}`, `one of ${Object.keys(target).join(', ')}`, name);
      if (typeof value !== 'number') throw invalidParameterError(`--inputs.${group}.${name}`, 'a number', value);
      target[name] = value;
    }
  }
  return base;
}
