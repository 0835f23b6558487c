/**
 * `make capacity`: prints, for an environment's CDKTF props, the image rate each component
 * sustains, the first bottleneck of each path, the settings a target needs and the cost per
 * million images.
 *
 *   node dist/bench/capacity/run.js [--environment=prod] [--target=1000] [--peak=5000]
 *     [--peak-seconds=60] [--inputs=overrides.json]
 */
import { resolveStackProps } from '../../cdktf/props';
import { invalidParameterError, PipelineError } from '../../core/errors';
import { loadInputs } from './inputs';
import { componentLimits, costPerMillion, planForTarget, sustainableRate } from './model';

/** Command-line options of `make capacity`. */
export interface CapacityOptions {
  environment: string;
  target: number;
  peak: number;
  peakSeconds: number;
  inputs?: string;
}

/**
 * Reads `--name=value` options.
 * @throws InvalidParameterError naming an unknown option or a value that is not a positive number.
 */
export function parseCapacityArgs(argv: readonly string[]): CapacityOptions {
  const options: CapacityOptions = { environment: 'prod', target: 1000, peak: 5000, peakSeconds: 60 };
  for (const arg of argv) {
    const match = /^--([a-z-]+)=(.*)$/.exec(arg);
    if (!match) throw invalidParameterError('argument', '--name=value', arg);
    const [, name, value] = match as unknown as [string, string, string];
    if (name === 'environment') options.environment = value;
    else if (name === 'inputs') options.inputs = value;
    else if (name === 'target' || name === 'peak' || name === 'peak-seconds') {
      const n = Number(value);
      if (!Number.isFinite(n) || n <= 0) throw invalidParameterError(`--${name}`, 'a positive number', value);
      if (name === 'target') options.target = n;
      else if (name === 'peak') options.peak = n;
      else options.peakSeconds = n;
    } else throw invalidParameterError('option', '--environment, --target, --peak, --peak-seconds or --inputs', `--${name}`);
  }
  return options;
}

const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '∞');

/** The report `make capacity` prints. */
export function capacityReport(options: CapacityOptions): string {
  const props = resolveStackProps(options.environment, { bundling: { mode: 'skip' } });
  const inputs = loadInputs(props, options.inputs);
  const lines: string[] = [];
  lines.push(`Capacity of the "${options.environment}" stack (CDKTF props) at ${inputs.measured.cpuMsPerImage} CPU-ms and ${inputs.measured.peakRssMiB} MiB peak RSS per 4 images`);
  lines.push('');
  lines.push('images/s  component (basis)');
  for (const limit of componentLimits(inputs)) lines.push(`${fmt(limit.imagesPerSecond).padStart(8)}  [${limit.path}] ${limit.component} (${limit.basis})`);
  lines.push('');
  for (const path of sustainableRate(inputs)) {
    lines.push(`sustainable ${path.path} rate: ${fmt(path.imagesPerSecond)} images/s; first bottleneck: ${path.bottleneck.component}`);
  }
  const plan = planForTarget(inputs, { sustained: options.target, peak: options.peak, peakSeconds: options.peakSeconds });
  lines.push('');
  lines.push(`Settings for ${fmt(plan.sustained)} images/s sustained and ${fmt(plan.peak)}/s for ${fmt(plan.peakSeconds)} s (every limit used to ${plan.headroom * 100} %):`);
  lines.push(`  image topic partitions        ${plan.imageTopicPartitions}   (stream consumer ${plan.streamMemoryMb} MB, 4 records in flight)`);
  lines.push(`  ESM pollers min / max         ${plan.minimumPollers} / ${plan.maximumPollers}`);
  lines.push(`  stream reserved concurrency   ${plan.streamReservedConcurrency}`);
  lines.push(`  REST reserved concurrency     ${plan.restReservedConcurrency}   (the peak needs ${plan.restConcurrencyAtPeak})`);
  lines.push(`  API stage throttle rate/burst ${plan.apiThrottleRate} / ${plan.apiThrottleBurst}`);
  lines.push(`  byStatusDay write shards      ${plan.statusShards}`);
  lines.push(`  DynamoDB warm write units     table ${fmt(plan.tableWriteUnitsAtPeak)}, byStatusDay ${fmt(plan.statusIndexWriteUnitsAtPeak)}`);
  lines.push(`  S3 partitions at the peak     processed ${plan.s3PartitionsAtPeak.processed}, raw ${plan.s3PartitionsAtPeak.raw} (of ${plan.s3PartitionsAtPeak.keyRanges} hashed key ranges)`);
  lines.push(`  MSK brokers                   ${plan.brokerCount}`);
  lines.push(`  account concurrency at peak   ${plan.accountConcurrencyAtPeak}`);
  lines.push(`  stream backlog after the peak ${fmt(plan.backlogAfterPeak)} events, drained in ${fmt(plan.drainMinutes, 1)} min`);
  const cost = costPerMillion(inputs);
  lines.push('');
  lines.push(`Cost per million images (USD, us-east-1 list prices; excludes MSK brokers, NAT, storage, pollers):`);
  lines.push(`  Lambda compute ${fmt(cost.lambdaCompute, 2)}, DynamoDB writes ${fmt(cost.dynamoWrites, 2)}, S3 PUTs ${fmt(cost.s3Puts, 2)}, SNS ${fmt(cost.sns, 2)}, API Gateway ${fmt(cost.apiGateway, 2)}`);
  lines.push(`  stream path ${fmt(cost.totalStream, 2)}; REST path ${fmt(cost.totalRest, 2)}`);
  return lines.join('\n');
}

function main(): void {
  try {
    console.log(capacityReport(parseCapacityArgs(process.argv.slice(2))));
  } catch (error) {
    if (error instanceof PipelineError) {
      console.error(`capacity: ${error.message}`);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
}

if (require.main === module) main();
