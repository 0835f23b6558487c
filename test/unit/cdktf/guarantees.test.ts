import { AnnotationMetadataEntryType, Testing } from 'cdktn';
import { DEFAULT_NAMES, ENV } from '../../../core/config/env';
import { ALARMED_LOG_MESSAGES, INDEX_NAMES, KEY_PREFIXES } from '../../../core/constants';
import { API_ROUTES, PREFLIGHT_PATHS } from '../../../cdktf/constructs/api';
import { ALLOCATOR_ENVIRONMENT, ENI_ACTIONS, XRAY_WRITE_ACTIONS } from '../../../cdktf/constructs/compute';
import { DERIVED_METRICS_NAMESPACE } from '../../../cdktf/constructs/observability';
import { MSK_SERVER_PROPERTIES } from '../../../cdktf/constructs/streaming';
import type { ImagePipelineStack } from '../../../cdktf/stack';
import {
  addressOf,
  asList,
  bodyOf,
  referencedAddresses,
  refOf,
  resourcesOf,
  statementsOf,
  synthStack,
  type TerraformJson,
} from './synth-helpers';
import { LAMBDA_ENTRIES } from '../../../cdktf/bundling';

/** Every Lambda of the stack is one of LAMBDA_ENTRIES. */
const FUNCTION_COUNT = Object.keys(LAMBDA_ENTRIES).length;
/** The functions with their own error, throttle and duration alarms: all but the authorizer. */
const PIPELINE_FUNCTION_COUNT = FUNCTION_COUNT - 1;

// Infrastructure guarantees are asserted on stacks synthesised with bundling skipped: these
// tests are about resources and must not depend on handler code or the npm registry.
// The real bundles are covered by bundles.test.ts.
const QUICKSIGHT_PRINCIPAL = 'arn:aws:quicksight:us-east-1:123456789012:group/default/analysts';
let dev: { stack: ImagePipelineStack; json: TerraformJson };
let prod: { stack: ImagePipelineStack; json: TerraformJson };

beforeAll(() => {
  dev = synthStack('dev', {
    bundling: { mode: 'skip' },
    notifications: { failureEmail: 'failures@example.com', alarmEmail: 'ops@example.com' },
    analytics: { quicksight: { principalArn: QUICKSIGHT_PRINCIPAL, serviceRoleName: 'aws-quicksight-service-role-v0' } },
  });
  prod = synthStack('prod', { bundling: { mode: 'skip' } });
});

describe.each([
  ['dev', () => dev],
  ['prod', () => prod],
])('%s stack', (name, get) => {
  test('the images table has TTL on expiresAt, on-demand billing, PITR, KMS encryption and the two runtime GSIs', () => {
    const { stack, json } = get();
    const table = bodyOf(json, stack.data.table);
    expect(table.ttl).toEqual({ attribute_name: 'expiresAt', enabled: true });
    expect(table.billing_mode).toBe('PAY_PER_REQUEST');
    expect(table.hash_key).toBe('imageId');
    expect(table.point_in_time_recovery).toEqual({ enabled: true });
    expect(table.server_side_encryption).toEqual({ enabled: true, kms_key_arn: refOf(stack.security.key, 'arn') });
    const indexes = asList(table.global_secondary_index as Record<string, unknown>[]);
    expect(indexes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: INDEX_NAMES.byCustomer, hash_key: 'customerId', range_key: 'createdAt' }),
        expect.objectContaining({ name: INDEX_NAMES.byStatusDay, hash_key: 'statusDay', range_key: 'createdAt' }),
      ]),
    );
    expect(indexes).toHaveLength(2);
  });

  test('raw and processed buckets expire objects after 7 days and abort incomplete multipart uploads', () => {
    const { stack, json } = get();
    for (const bucket of [stack.storage.raw, stack.storage.processed]) {
      const lifecycle = resourcesOf(json, 'aws_s3_bucket_lifecycle_configuration').find(
        ([, body]) => body.bucket === refOf(bucket.bucket, 'id'),
      );
      expect(lifecycle).toBeDefined();
      const rules = asList(lifecycle?.[1].rule as Record<string, unknown>[]);
      const wholeBucket = rules.find((r) => r.status === 'Enabled' && asList(r.filter as { prefix?: string }[]).every((f) => !f.prefix));
      expect(wholeBucket?.expiration).toEqual([{ days: 7 }]);
      expect(wholeBucket?.abort_incomplete_multipart_upload).toEqual([{ days_after_initiation: 1 }]);
    }
  });

  test('every bucket blocks all public access, is SSE-KMS with the project key, owner-enforced and TLS-only', () => {
    const { stack, json } = get();
    const keyArn = refOf(stack.security.key, 'arn');
    const buckets = resourcesOf(json, 'aws_s3_bucket');
    // Raw, processed, analytics and failed batches.
    expect(buckets).toHaveLength(4);
    for (const [id] of buckets) {
      const bucketId = `\${aws_s3_bucket.${id}.id}`;
      const forBucket = (type: string): Record<string, unknown> | undefined =>
        resourcesOf(json, type).find(([, body]) => body.bucket === bucketId)?.[1];
      expect(forBucket('aws_s3_bucket_public_access_block')).toMatchObject({
        block_public_acls: true,
        block_public_policy: true,
        ignore_public_acls: true,
        restrict_public_buckets: true,
      });
      const sse = forBucket('aws_s3_bucket_server_side_encryption_configuration');
      expect(sse?.rule).toEqual([
        expect.objectContaining({ apply_server_side_encryption_by_default: { sse_algorithm: 'aws:kms', kms_master_key_id: keyArn } }),
      ]);
      expect(forBucket('aws_s3_bucket_ownership_controls')?.rule).toEqual({ object_ownership: 'BucketOwnerEnforced' });
      const deny = statementsOf(forBucket('aws_s3_bucket_policy')?.policy).find((s) => s.Effect === 'Deny');
      expect(deny?.Condition).toEqual({ Bool: { 'aws:SecureTransport': 'false' } });
      expect(asList(deny?.Resource)).toEqual([`\${aws_s3_bucket.${id}.arn}`, `\${aws_s3_bucket.${id}.arn}/*`]);
    }
  });

  test('topics, queue, secrets, MSK, functions and metadata exports are encrypted with the rotating customer-managed key', () => {
    const { stack, json } = get();
    const keyArn = refOf(stack.security.key, 'arn');
    expect(bodyOf(json, stack.security.key).enable_key_rotation).toBe(true);
    const topics = resourcesOf(json, 'aws_sns_topic');
    // Notifications and alarms; the notification queue and the upload-failures queue.
    expect(topics).toHaveLength(2);
    for (const [, topic] of topics) expect(topic.kms_master_key_id).toBe(keyArn);
    const queues = resourcesOf(json, 'aws_sqs_queue');
    // The upload-failures queue, the notification queue, and the URL import queue with its DLQ.
    expect(queues).toHaveLength(4);
    for (const [, queue] of queues) expect(queue.kms_master_key_id).toBe(keyArn);
    const secrets = resourcesOf(json, 'aws_secretsmanager_secret');
    expect(secrets).toHaveLength(2);
    for (const [, secret] of secrets) expect(secret.kms_key_id).toBe(keyArn);
    const cluster = bodyOf(json, stack.streaming.cluster);
    expect(cluster.encryption_info).toEqual({
      encryption_at_rest_kms_key_arn: keyArn,
      encryption_in_transit: { client_broker: 'TLS', in_cluster: true },
    });
    const streams = resourcesOf(json, 'aws_kinesis_stream');
    expect(streams).toHaveLength(1);
    for (const [, stream] of streams) expect(stream).toMatchObject({ encryption_type: 'KMS' });
    const firehoses = resourcesOf(json, 'aws_kinesis_firehose_delivery_stream');
    expect(firehoses).toHaveLength(1);
    for (const [, firehose] of firehoses) expect(firehose.extended_s3_configuration).toMatchObject({ kms_key_arn: keyArn });
    const functions = resourcesOf(json, 'aws_lambda_function');
    expect(functions).toHaveLength(FUNCTION_COUNT);
    for (const [, fn] of functions) expect(fn.kms_key_arn).toBe(keyArn);
  });

  test('the SCRAM secret has the AmazonMSK_ prefix, the customer-managed key, and is associated to the cluster', () => {
    const { stack, json } = get();
    const secret = bodyOf(json, stack.security.kafkaSecret);
    expect(String(secret.name)).toMatch(/^AmazonMSK_/);
    expect(secret.kms_key_id).toBe(refOf(stack.security.key, 'arn'));
    const association = resourcesOf(json, 'aws_msk_single_scram_secret_association').map(([, body]) => body);
    expect(association).toEqual([
      expect.objectContaining({ cluster_arn: refOf(stack.streaming.cluster, 'arn'), secret_arn: refOf(stack.security.kafkaSecret, 'arn') }),
    ]);
  });

  test('MSK runs SCRAM over TLS in private subnets of at least 2 AZs with a configuration that keeps acknowledged writes', () => {
    const { stack, json } = get();
    const cluster = bodyOf(json, stack.streaming.cluster);
    expect(cluster.client_authentication).toMatchObject({ unauthenticated: false, sasl: expect.objectContaining({ scram: true }) });
    const subnets = (cluster.broker_node_group_info as { client_subnets: string[] }).client_subnets;
    expect(subnets.length).toBeGreaterThanOrEqual(2);
    expect(subnets).toEqual(stack.network.privateSubnets.map((s) => refOf(s, 'id')));
    const azs = new Set(stack.network.privateSubnets.map((s) => String(bodyOf(json, s).availability_zone)));
    expect(azs.size).toBe(subnets.length);
    expect(stack.network.privateSubnets).toHaveLength(3);
    for (const s of stack.network.privateSubnets) expect(bodyOf(json, s).map_public_ip_on_launch).not.toBe(true);
    const properties = String(bodyOf(json, stack.streaming.configuration).server_properties).split('\n');
    for (const [k, v] of Object.entries(MSK_SERVER_PROPERTIES)) expect(properties).toContain(`${k}=${v}`);
    expect(properties).toEqual(
      expect.arrayContaining([
        'default.replication.factor=3',
        'min.insync.replicas=2',
        'unclean.leader.election.enable=false',
        'allow.everyone.if.no.acl.found=false',
        'auto.create.topics.enable=false',
      ]),
    );
    expect(Number(cluster.number_of_broker_nodes)).toBeGreaterThanOrEqual(3);
  });

  test('the MSK event source mapping reads the image topic with SCRAM and bounded failure handling', () => {
    const { stack, json } = get();
    const esm = bodyOf(json, stack.compute.eventSourceMapping);
    expect(esm.event_source_arn).toBe(refOf(stack.streaming.cluster, 'arn'));
    expect(esm.function_name).toBe(refOf(stack.compute.streamConsumer.fn, 'arn'));
    expect(esm.topics).toEqual([DEFAULT_NAMES.imageTopic]);
    expect(esm.batch_size).toBe(100);
    expect(esm.maximum_batching_window_in_seconds).toBe(1);
    expect(esm.starting_position).toBe('TRIM_HORIZON');
    expect(esm.source_access_configuration).toEqual([{ type: 'SASL_SCRAM_512_AUTH', uri: refOf(stack.security.kafkaSecret, 'arn') }]);
    expect(esm.amazon_managed_kafka_event_source_config).toEqual({ consumer_group_id: DEFAULT_NAMES.consumerGroupId });
    expect(esm.maximum_retry_attempts).toEqual(expect.any(Number));
    expect(esm.maximum_retry_attempts as number).toBeGreaterThanOrEqual(0);
    expect(esm.maximum_retry_attempts as number).toBeLessThanOrEqual(10_000);
    expect(esm.bisect_batch_on_function_error).toBe(true);
    expect(esm.function_response_types).toEqual(['ReportBatchItemFailures']);
    expect(esm.destination_config).toEqual({ on_failure: { destination_arn: refOf(stack.storage.failedBatches.bucket, 'arn') } });
    expect(esm.provisioned_poller_config).toEqual(expect.objectContaining({ minimum_pollers: expect.any(Number) }));
  });

  test('the REST API proxies every route to ingest-api, treats images and multipart as binary, logs access and throttles', () => {
    const { stack, json } = get();
    const api = bodyOf(json, stack.api.restApi);
    // `image/*` covers every image type (API Gateway matches binary media types with wildcards).
    expect(api.binary_media_types).toEqual(expect.arrayContaining(['image/*', 'multipart/form-data', 'application/octet-stream']));

    const resources = new Map(resourcesOf(json, 'aws_api_gateway_resource'));
    const pathOf = (resourceId: string): string => {
      const match = /^\$\{aws_api_gateway_resource\.([^.]+)\.id\}$/.exec(resourceId);
      if (!match) return '';
      const body = resources.get(match[1] as string);
      return `${pathOf(String(body?.parent_id))}/${String(body?.path_part)}`;
    };
    const methods = resourcesOf(json, 'aws_api_gateway_method').map(([, m]) => `${String(m.http_method)} ${pathOf(String(m.resource_id))}`);
    // Plus an OPTIONS (CORS preflight, answered by ingest-api) on every /v1 path: see cors.test.ts.
    const preflights = PREFLIGHT_PATHS.map((path) => `OPTIONS ${path}`);
    expect(methods.sort()).toEqual([...API_ROUTES.map((r) => `${r.method} ${r.path}`), ...preflights].sort());
    expect(methods.filter((m) => !m.startsWith('OPTIONS ')).sort()).toEqual(['GET /healthz', 'GET /v1/images', 'GET /v1/images/{id}', 'POST /v1/images', 'POST /v1/uploads']);
    expect(methods).toHaveLength(API_ROUTES.length + PREFLIGHT_PATHS.length);
    // The /v1 methods have the REQUEST authorizer (authorizer.test.ts); preflights and /healthz none.
    for (const [, m] of resourcesOf(json, 'aws_api_gateway_method')) {
      const route = `${String(m.http_method)} ${pathOf(String(m.resource_id))}`;
      expect({ route, authorization: m.authorization }).toEqual({ route, authorization: route.startsWith('OPTIONS ') || route === 'GET /healthz' ? 'NONE' : 'CUSTOM' });
    }
    const integrations = resourcesOf(json, 'aws_api_gateway_integration').map(([, i]) => i);
    expect(integrations).toHaveLength(API_ROUTES.length + PREFLIGHT_PATHS.length);
    for (const i of integrations) expect(i).toMatchObject({ type: 'AWS_PROXY', uri: refOf(stack.compute.ingestApi.fn, 'invoke_arn') });

    const stage = bodyOf(json, stack.api.stage);
    expect(stage.access_log_settings).toEqual(expect.objectContaining({ destination_arn: refOf(stack.api.accessLogs, 'arn') }));
    const [[, plan] = ['', {}]] = resourcesOf(json, 'aws_api_gateway_usage_plan');
    expect(plan.throttle_settings).toEqual(expect.objectContaining({ rate_limit: expect.any(Number), burst_limit: expect.any(Number) }));
    const [[, settings] = ['', {}]] = resourcesOf(json, 'aws_api_gateway_method_settings');
    expect(settings.settings).toEqual(expect.objectContaining({ throttling_rate_limit: expect.any(Number) }));
  });

  test('no IAM statement grants a wildcard action, and only the ENI and X-Ray write actions use resource "*"', () => {
    const { json } = get();
    const policies = resourcesOf(json, 'aws_iam_role_policy');
    // One per function, Firehose's, the reconciler schedule's, and (dev only, with QuickSight) QuickSight's.
    expect(policies).toHaveLength(FUNCTION_COUNT + (name === 'dev' ? 3 : 2));
    for (const [id, policy] of policies) {
      const statements = statementsOf(policy.policy);
      expect({ id, statements: statements.length > 0 }).toEqual({ id, statements: true });
      for (const statement of statements) {
        for (const action of asList(statement.Action)) {
          expect({ id, action, wildcard: action === '*' || action.endsWith(':*') }).toEqual({ id, action, wildcard: false });
        }
        if (asList(statement.Resource).includes('*')) {
          const actions = asList(statement.Action).sort();
          const unscopable = statement.Sid === 'WriteTraces' ? [...XRAY_WRITE_ACTIONS] : [...ENI_ACTIONS];
          expect({ id, sid: statement.Sid, actions }).toEqual({ id, sid: statement.Sid, actions: unscopable.sort() });
        }
      }
    }
  });

  test('each function role touches exactly the buckets, table, topic, secret and key that function uses', () => {
    const { stack, json } = get();
    const s = stack;
    const dataStores = new Set(['aws_s3_bucket', 'aws_dynamodb_table', 'aws_sns_topic', 'aws_secretsmanager_secret', 'aws_kms_key', 'aws_msk_cluster']);
    const touched = (fn: typeof s.compute.ingestApi): string[] => {
      const policy = resourcesOf(json, 'aws_iam_role_policy').find(([, p]) => p.role === refOf(fn.role, 'id'));
      expect(policy).toBeDefined();
      return [...referencedAddresses(String(policy?.[1].policy))].filter((a) => dataStores.has(a.split('.')[0] as string)).sort();
    };
    const common = [addressOf(s.storage.raw.bucket), addressOf(s.storage.processed.bucket), addressOf(s.data.table), addressOf(s.notifications.topic), addressOf(s.security.key)];
    // Credentials are checked by the authorizer at the gateway: only it reads the key secret.
    expect(touched(s.compute.ingestApi)).toEqual([...common].sort());
    expect(touched(s.compute.authorizer)).toEqual([addressOf(s.security.apiKeySecret), addressOf(s.security.key)].sort());
    expect(touched(s.compute.uploadHandler)).toEqual([...common].sort());
    expect(touched(s.compute.streamConsumer)).toEqual(
      [...common, addressOf(s.security.kafkaSecret), addressOf(s.streaming.cluster), addressOf(s.storage.failedBatches.bucket)].sort(),
    );

    // Prefix scoping on the raw bucket: the upload handler may delete only under incoming/.
    const uploadPolicy = resourcesOf(json, 'aws_iam_role_policy').find(([, p]) => p.role === refOf(s.compute.uploadHandler.role, 'id'));
    const deletes = statementsOf(uploadPolicy?.[1].policy).filter((st) => asList(st.Action).includes('s3:DeleteObject'));
    expect(deletes.flatMap((st) => asList(st.Resource))).toEqual([`${refOf(s.storage.raw.bucket, 'arn')}/${KEY_PREFIXES.incoming}*`]);
    // S3 references are claim checks: the stream consumer reads the raw bucket only under raw/
    // (its own copies) and claims/, never incoming/, processed/ or the whole bucket (issue 12, fault 4).
    const streamPolicy = resourcesOf(json, 'aws_iam_role_policy').find(([, p]) => p.role === refOf(s.compute.streamConsumer.role, 'id'));
    const rawArn = refOf(s.storage.raw.bucket, 'arn');
    const streamReads = statementsOf(streamPolicy?.[1].policy)
      .filter((st) => asList(st.Action).includes('s3:GetObject'))
      .flatMap((st) => asList(st.Resource))
      .filter((resource) => resource.startsWith(rawArn));
    expect(streamReads.sort()).toEqual([`${rawArn}/${KEY_PREFIXES.claims}*`, `${rawArn}/${KEY_PREFIXES.raw}*`]);
    // Index access is by exact index ARN, only for the function that queries (ingest-api).
    const ingestPolicy = resourcesOf(json, 'aws_iam_role_policy').find(([, p]) => p.role === refOf(s.compute.ingestApi.role, 'id'));
    const query = statementsOf(ingestPolicy?.[1].policy).find((st) => asList(st.Action).includes('dynamodb:Query'));
    expect(asList(query?.Resource)).toEqual([
      refOf(s.data.table, 'arn'),
      `${refOf(s.data.table, 'arn')}/index/${INDEX_NAMES.byCustomer}`,
      `${refOf(s.data.table, 'arn')}/index/${INDEX_NAMES.byStatusDay}`,
    ]);
  });

  test('the upload handler keeps events it still fails on after retries: an on-failure destination to an encrypted queue it may write (issue 12, fault 6)', () => {
    const { stack, json } = get();
    const configs = resourcesOf(json, 'aws_lambda_function_event_invoke_config').map(([, c]) => c);
    const forUploads = configs.filter((c) => c.function_name === refOf(stack.compute.uploadHandler.fn, 'function_name'));
    expect(forUploads).toHaveLength(1);
    const queueArn = refOf(stack.compute.uploadFailures, 'arn');
    expect(forUploads[0]?.destination_config).toEqual({ on_failure: { destination: queueArn } });
    expect(bodyOf(json, stack.compute.uploadFailures).kms_master_key_id).toBe(refOf(stack.security.key, 'arn'));
    const uploadPolicy = resourcesOf(json, 'aws_iam_role_policy').find(([, p]) => p.role === refOf(stack.compute.uploadHandler.role, 'id'));
    const sends = statementsOf(uploadPolicy?.[1].policy).filter((st) => asList(st.Action).includes('sqs:SendMessage'));
    expect(sends.flatMap((st) => asList(st.Resource))).toEqual([queueArn]);
  });

  test('every function has its own log group with retention, wired as its logging destination', () => {
    const { stack, json } = get();
    const functions = resourcesOf(json, 'aws_lambda_function');
    expect(functions).toHaveLength(FUNCTION_COUNT);
    const groups = new Map(resourcesOf(json, 'aws_cloudwatch_log_group'));
    for (const [, fn] of functions) {
      const groupRef = (fn.logging_config as { log_group: string }).log_group;
      const match = /^\$\{aws_cloudwatch_log_group\.([^.]+)\.name\}$/.exec(groupRef);
      const group = groups.get(match?.[1] as string);
      expect(group?.name).toBe(`/aws/lambda/${String(fn.function_name)}`);
      expect(group?.retention_in_days).toEqual(stack === prod.stack ? 90 : 14);
    }
    // One per function, the API access log and the MSK broker log.
    expect(groups.size).toBe(FUNCTION_COUNT + 2);
    for (const [, group] of groups) expect(group.retention_in_days).toEqual(expect.any(Number));
  });

  test('every alarm notifies the ops topic, and the required alarms exist', () => {
    const { stack, json } = get();
    const alarms = resourcesOf(json, 'aws_cloudwatch_metric_alarm').map(([, a]) => a);
    // Errors, throttles and p99 duration per pipeline function; throttles, p99 duration and a
    // log-derived failure alarm for the authorizer (docs/authentication.md); and 14 others (the
    // URL import DLQ alarm among them).
    expect(alarms).toHaveLength(3 * PIPELINE_FUNCTION_COUNT + 3 + 14);
    for (const alarm of alarms) expect(alarm.alarm_actions).toEqual([refOf(stack.notifications.alarmTopic, 'arn')]);
    const metrics = alarms.map((a) => `${String(a.namespace ?? 'math')}/${String(a.metric_name ?? 'expression')}`);
    expect(metrics.filter((m) => m === 'AWS/Lambda/Errors')).toHaveLength(PIPELINE_FUNCTION_COUNT);
    for (const metric of ['AWS/Lambda/Throttles', 'AWS/Lambda/Duration']) {
      expect(metrics.filter((m) => m === metric)).toHaveLength(FUNCTION_COUNT);
    }
    // Every refused credential is a Lambda Errors datapoint, so the authorizer's alarm counts its
    // own `authorizer failed` log lines, from its log group, instead.
    const authorizerName = refOf(stack.compute.authorizer.fn, 'function_name');
    expect(alarms.filter((a) => (a.dimensions as Record<string, unknown> | undefined)?.FunctionName === authorizerName).map((a) => a.metric_name).sort()).toEqual(['Duration', 'Throttles']);
    const failedFilter = resourcesOf(json, 'aws_cloudwatch_log_metric_filter').map(([, f]) => f).find((f) => f.log_group_name === refOf(stack.compute.authorizer.logGroup, 'name'));
    expect(failedFilter?.pattern).toBe(`{ $.message = "${ALARMED_LOG_MESSAGES.authorizerFailed}" }`);
    const failedMetric = (failedFilter?.metric_transformation as { name: string }).name;
    expect(alarms.find((a) => a.metric_name === failedMetric)).toEqual(expect.objectContaining({ namespace: DERIVED_METRICS_NAMESPACE, statistic: 'Sum', threshold: 1 }));
    expect(alarms.filter((a) => a.metric_name === 'Duration').every((a) => a.extended_statistic === 'p99')).toBe(true);
    expect(metrics).toContain('AWS/Lambda/OffsetLag');
    expect(alarms.find((a) => a.metric_name === 'OffsetLag')?.dimensions).toEqual({ FunctionName: refOf(stack.compute.streamConsumer.fn, 'function_name') });
    const dlq = alarms.find((a) => JSON.stringify(a.metric_query ?? '').includes(DEFAULT_NAMES.deadLetterTopic));
    expect(dlq).toBeDefined();
    expect(alarms.find((a) => a.metric_name === 'PutRequests')?.dimensions).toEqual(
      expect.objectContaining({ BucketName: refOf(stack.storage.failedBatches.bucket, 'bucket') }),
    );
  });

  test('Lambda environments use the runtime ENV names, never endpoint overrides or local-only settings', () => {
    const { stack, json } = get();
    const allowed = new Set<string>([...Object.values(ENV), ...Object.keys(ALLOCATOR_ENVIRONMENT)]);
    const forbidden = [ENV.region, ENV.endpointS3, ENV.endpointDynamoDb, ENV.endpointSns, ENV.endpointSqs, ENV.endpointSecretsManager, ENV.s3ForcePathStyle, ENV.localDataDir, ENV.apiKey, ENV.kafkaPort];
    const functions = resourcesOf(json, 'aws_lambda_function');
    expect(functions).toHaveLength(FUNCTION_COUNT);
    for (const [, fn] of functions) {
      const variables = (fn.environment as { variables: Record<string, string> }).variables;
      for (const name of Object.keys(variables)) expect(allowed.has(name) ? name : `unknown ${name}`).toBe(name);
      for (const name of forbidden) expect(variables[name]).toBeUndefined();
      expect(variables[ENV.rawBucket]).toBe(refOf(stack.storage.raw.bucket, 'bucket'));
      expect(variables[ENV.imagesTable]).toBe(refOf(stack.data.table, 'name'));
      expect(variables[ENV.snsTopicArn]).toBe(refOf(stack.notifications.topic, 'arn'));
      expect(fn.runtime).toBe('nodejs24.x');
      // Every function that renders (sharp) gets 1024 MB at least; the authorizer renders nothing.
      expect(fn.memory_size).toBeGreaterThanOrEqual(String(fn.function_name).endsWith('-authorizer') ? 256 : 1024);
      expect(variables.MALLOC_ARENA_MAX).toBe('2');
    }
    const consumer = bodyOf(json, stack.compute.streamConsumer.fn);
    const consumerEnv = (consumer.environment as { variables: Record<string, string> }).variables;
    expect(consumerEnv[ENV.kafkaBrokers]).toBe(refOf(stack.streaming.cluster, 'bootstrap_brokers_sasl_scram'));
    expect(consumerEnv[ENV.kafkaSecretId]).toBe(refOf(stack.security.kafkaSecret, 'arn'));
    expect(consumerEnv[ENV.deadLetterTopic]).toBe(DEFAULT_NAMES.deadLetterTopic);
    expect(consumer.timeout).toBe(300);
    // The handler stops starting records with less than this left: 90 s of the 300 s timeout.
    expect(consumerEnv[ENV.recordTimeBudgetMs]).toBe('90000');
    // prod: 2 vCPUs per invocation, as sized by `make capacity` (docs/capacity.md).
    expect(consumer.memory_size).toBe(name === 'prod' ? 3538 : 1024);
    expect(bodyOf(json, stack.compute.ingestApi.fn).memory_size).toBe(1024);
    expect(consumer.vpc_config).toEqual({
      subnet_ids: stack.network.privateSubnets.map((s) => refOf(s, 'id')),
      security_group_ids: [refOf(stack.network.consumerSecurityGroup, 'id')],
    });
    expect(bodyOf(json, stack.compute.ingestApi.fn).timeout).toBe(29);
  });

  test('the raw bucket notifies the upload handler for incoming/ only', () => {
    const { stack, json } = get();
    const [[, notification] = ['', {}]] = resourcesOf(json, 'aws_s3_bucket_notification');
    expect(notification.bucket).toBe(refOf(stack.storage.raw.bucket, 'id'));
    expect(notification.lambda_function).toEqual([
      expect.objectContaining({ lambda_function_arn: refOf(stack.compute.uploadHandler.fn, 'arn'), filter_prefix: KEY_PREFIXES.incoming, events: ['s3:ObjectCreated:*'] }),
    ]);
  });

  test('state goes to a relative path and the AWS provider is pinned', () => {
    const { json } = get();
    expect(json.terraform.backend?.local?.path).toMatch(/^\.\.\/\.\.\/\.\.\/terraform\.image-pipeline-(dev|prod)\.tfstate$/);
    expect(json.terraform.required_providers.aws?.version).toBe('~> 6.66');
  });

  test('outputs expose the API URL, buckets, table, topic, brokers and secret ARNs', () => {
    const { json } = get();
    for (const name of ['api_url', 'raw_bucket', 'processed_bucket', 'images_table', 'notification_topic_arn', 'bootstrap_brokers_sasl_scram', 'api_key_secret_arn', 'kafka_secret_arn']) {
      expect(json.output[name]?.value).toEqual(expect.stringContaining('${'));
    }
  });
});

describe('differences between environments and optional parts', () => {
  test('dev and prod differ in sizes and retention', () => {
    const devCluster = bodyOf(dev.json, dev.stack.streaming.cluster);
    const prodCluster = bodyOf(prod.json, prod.stack.streaming.cluster);
    expect((devCluster.broker_node_group_info as { instance_type: string }).instance_type).not.toBe(
      (prodCluster.broker_node_group_info as { instance_type: string }).instance_type,
    );
    expect(bodyOf(dev.json, dev.stack.data.table).deletion_protection_enabled).toBe(false);
    expect(bodyOf(prod.json, prod.stack.data.table).deletion_protection_enabled).toBe(true);
  });

  test('the failure email subscription filters on type = image.failed; the queue gets every notification', () => {
    const subs = resourcesOf(dev.json, 'aws_sns_topic_subscription').map(([, s]) => s);
    const email = subs.find((s) => s.protocol === 'email' && s.topic_arn === refOf(dev.stack.notifications.topic, 'arn'));
    expect(email?.filter_policy_scope).toBe('MessageAttributes');
    expect(JSON.parse(String(email?.filter_policy))).toEqual({ type: ['image.failed'] });
    expect(subs.find((s) => s.protocol === 'sqs')).toMatchObject({ raw_message_delivery: true });
    expect(subs.find((s) => s.protocol === 'sqs')?.filter_policy).toBeUndefined();
    // Without the email prop there is no email subscription for failures.
    expect(resourcesOf(prod.json, 'aws_sns_topic_subscription').filter(([, s]) => s.protocol === 'email')).toHaveLength(0);
  });

  test('analytics: Glue table and Athena workgroup always; QuickSight only when a principal is given', () => {
    expect(Testing.toHaveResourceWithProperties(JSON.stringify(dev.json), 'aws_quicksight_data_source', { type: 'ATHENA' })).toBe(true);
    const [[, dataSet] = ['', {}]] = resourcesOf(dev.json, 'aws_quicksight_data_set');
    expect(JSON.stringify(dataSet.permissions)).toContain(QUICKSIGHT_PRINCIPAL);
    expect(resourcesOf(prod.json, 'aws_quicksight_data_source')).toHaveLength(0);
    for (const { json } of [dev, prod]) {
      const [[, table] = ['', {}]] = resourcesOf(json, 'aws_glue_catalog_table');
      // Terraform's escape: Athena must receive the literal ${dt}.
      expect((table.parameters as Record<string, string>)['storage.location.template']).toMatch(/dt=\$\$\{dt\}\/$/);
      const [[, workgroup] = ['', {}]] = resourcesOf(json, 'aws_athena_workgroup');
      expect(JSON.stringify(workgroup.configuration)).toContain('SSE_KMS');
    }
  });

  test('a stack synthesised with bundling skipped says so', () => {
    const warnings = dev.stack.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === String(AnnotationMetadataEntryType.WARN)).map((m) => String(m.data)));
    expect(warnings.some((w) => w.includes('Bundling skipped'))).toBe(true);
  });
});
