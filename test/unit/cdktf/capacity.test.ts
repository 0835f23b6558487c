/**
 * The prod stack carries the settings `make capacity` asks of 1,000 images/s sustained and
 * 5,000/s for a minute, and the alarms that tell when a limit of the model is reached.
 */
import { ENV } from '../../../core/config/env';
import { DEFAULT_STATUS_SHARDS } from '../../../core/config';
import { INDEX_NAMES } from '../../../core/constants';
import { kafkaAdminCommands, kafkaTopicPlan } from '../../../cdktf/constructs/streaming';
import { LAMBDA_ENTRIES } from '../../../cdktf/bundling';
import { DERIVED_METRICS_NAMESPACE } from '../../../cdktf/constructs/observability';
import { latestImageStateSql } from '../../../cdktf/constructs/analytics';
import { resolveStackProps } from '../../../cdktf/props';
import type { ImagePipelineStack } from '../../../cdktf/stack';
import { loadInputs } from '../../../bench/capacity/inputs';
import { planForTarget } from '../../../bench/capacity/model';
import { bodyOf, refOf, resourcesOf, synthStack, type TerraformJson } from './synth-helpers';

let dev: { stack: ImagePipelineStack; json: TerraformJson };
let prod: { stack: ImagePipelineStack; json: TerraformJson };

beforeAll(() => {
  dev = synthStack('dev', { bundling: { mode: 'skip' } });
  prod = synthStack('prod', { bundling: { mode: 'skip' } });
});

describe('prod settings come from the capacity model', () => {
  const props = resolveStackProps('prod', { bundling: { mode: 'skip' } });
  const plan = planForTarget(loadInputs(props), { sustained: 1000, peak: 5000, peakSeconds: 60 });

  test('partitions, pollers, concurrency, memory, throttle, shards and warm throughput meet the plan', () => {
    expect(props.msk.imageTopicPartitions).toBeGreaterThanOrEqual(plan.imageTopicPartitions);
    expect(props.stream.minimumPollers).toBeGreaterThanOrEqual(plan.minimumPollers);
    expect(props.stream.maximumPollers).toBeGreaterThanOrEqual(plan.maximumPollers);
    expect(props.lambda.streamConsumer.memoryMb).toBeGreaterThanOrEqual(plan.streamMemoryMb);
    expect(props.lambda.streamConsumer.reservedConcurrency).toBeGreaterThanOrEqual(plan.streamReservedConcurrency);
    expect(props.lambda.ingestApi.reservedConcurrency).toBeGreaterThanOrEqual(plan.restConcurrencyAtPeak);
    expect(props.api.throttleRateLimit).toBeGreaterThanOrEqual(plan.apiThrottleRate);
    expect(props.api.throttleBurstLimit).toBeGreaterThanOrEqual(plan.apiThrottleBurst);
    expect(props.data.statusIndexShards).toBeGreaterThanOrEqual(plan.statusShards);
    expect(props.data.warmWriteUnitsPerSecond).toBeGreaterThanOrEqual(Math.max(plan.tableWriteUnitsAtPeak, plan.statusIndexWriteUnitsAtPeak));
    expect(props.msk.brokerCount).toBeGreaterThanOrEqual(plan.brokerCount);
  });

  test('the plan itself is what the hand calculation in docs/capacity.md gives', () => {
    // 2 vCPU × 1000 / 224 CPU-ms × 0.8 busy = 7.14 images/s per invocation; 1000 / (7.14 × 0.8) → 175.
    expect(plan.imageTopicPartitions).toBe(175);
    expect(plan.maximumPollers).toBe(35);
    expect(plan.statusShards).toBe(25);
  });
});

describe.each([
  ['dev', () => dev, 3],
  ['prod', () => prod, 180],
])('%s stack', (name, get, partitions) => {
  test('the documented topic creation step creates the image topic with the props partitions', () => {
    const props = resolveStackProps(name, { bundling: { mode: 'skip' } });
    expect(kafkaTopicPlan(props).find((t) => t.name === props.names.imageTopic)?.partitions).toBe(partitions);
    expect(kafkaAdminCommands(props)).toContain(`--topic ${props.names.imageTopic} --partitions ${partitions} `);
  });

  test('the event source mapping and the functions carry the pollers, concurrency and shard count', () => {
    const { stack, json } = get();
    const props = resolveStackProps(name, { bundling: { mode: 'skip' } });
    const esm = bodyOf(json, stack.compute.eventSourceMapping);
    expect(esm.provisioned_poller_config).toEqual({ minimum_pollers: props.stream.minimumPollers, maximum_pollers: props.stream.maximumPollers });
    const consumer = bodyOf(json, stack.compute.streamConsumer.fn);
    expect(consumer.reserved_concurrent_executions).toBe(props.lambda.streamConsumer.reservedConcurrency);
    expect(consumer.memory_size).toBe(props.lambda.streamConsumer.memoryMb);
    for (const fn of [stack.compute.ingestApi, stack.compute.uploadHandler, stack.compute.streamConsumer]) {
      const body = bodyOf(json, fn.fn) as { environment: { variables: Record<string, string> } };
      expect(body.environment.variables[ENV.statusIndexShards]).toBe(String(DEFAULT_STATUS_SHARDS));
    }
  });

  test('alarms on DynamoDB throttles (table and each GSI), API Gateway 429s, Lambda throttles and consumer lag', () => {
    const { stack, json } = get();
    const props = resolveStackProps(name, { bundling: { mode: 'skip' } });
    const alarms = resourcesOf(json, 'aws_cloudwatch_metric_alarm').map(([, a]) => a);
    const tableName = refOf(stack.data.table, 'name');
    for (const metric of ['WriteThrottleEvents', 'ReadThrottleEvents']) {
      const dims = alarms.filter((a) => a.namespace === 'AWS/DynamoDB' && a.metric_name === metric).map((a) => a.dimensions);
      expect(dims).toEqual(
        expect.arrayContaining([
          { TableName: tableName },
          { TableName: tableName, GlobalSecondaryIndexName: INDEX_NAMES.byCustomer },
          { TableName: tableName, GlobalSecondaryIndexName: INDEX_NAMES.byStatusDay },
        ]),
      );
    }
    const filters = resourcesOf(json, 'aws_cloudwatch_log_metric_filter').map(([, f]) => f);
    const throttled = filters.find((f) => f.pattern === '{ $.status = "429" }');
    expect(throttled?.log_group_name).toBe(refOf(stack.api.accessLogs, 'name'));
    const metricName = (throttled?.metric_transformation as { name: string }).name;
    expect(alarms.some((a) => a.namespace === DERIVED_METRICS_NAMESPACE && a.metric_name === metricName)).toBe(true);
    // One per function, the authorizer's included (a throttled authorizer is a 500 to the caller).
    expect(alarms.filter((a) => a.namespace === 'AWS/Lambda' && a.metric_name === 'Throttles')).toHaveLength(resourcesOf(json, 'aws_lambda_function').length);
    expect(resourcesOf(json, 'aws_lambda_function')).toHaveLength(Object.keys(LAMBDA_ENTRIES).length);
    expect(alarms.find((a) => a.metric_name === 'OffsetLag')?.threshold).toBe(props.alarms.offsetLagThreshold);
    expect(alarms.find((a) => a.namespace === 'AWS/Kafka' && a.metric_name === 'MaxOffsetLag')?.dimensions).toEqual({
      'Cluster Name': refOf(stack.streaming.cluster, 'cluster_name'),
      'Consumer Group': props.names.consumerGroupId,
      Topic: props.names.imageTopic,
    });
  });
});

test('prod pre-warms the table and both GSIs for the peak; dev does not', () => {
  const warm = { write_units_per_second: 30_000, read_units_per_second: 12_000 };
  const prodTable = bodyOf(prod.json, prod.stack.data.table) as { warm_throughput?: unknown; global_secondary_index: { warm_throughput?: unknown }[] };
  expect(prodTable.warm_throughput).toEqual(warm);
  expect(prodTable.global_secondary_index.map((i) => i.warm_throughput)).toEqual([warm, warm]);
  const devTable = bodyOf(dev.json, dev.stack.data.table) as { warm_throughput?: unknown; global_secondary_index: { warm_throughput?: unknown }[] };
  expect(devTable.warm_throughput).toBeUndefined();
  expect(devTable.global_secondary_index.map((i) => i.warm_throughput)).toEqual([undefined, undefined]);
});

test("the dashboards' status_day column drops the write shard, so a day's status is one group again", () => {
  const sql = latestImageStateSql('db', 'changes');
  expect(sql).toMatch(/regexp_replace\(dynamodb\.newimage\.statusday\.s, '#\[0-9\]\+\$', ''\), dynamodb\.approximatecreationdatetime\) AS status_day/);
});
