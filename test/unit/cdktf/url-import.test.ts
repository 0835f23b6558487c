/**
 * Guarantees of URL imports on AWS: the API hands them to a worker Lambda through SQS (event
 * source mapping with partial batch responses), a DLQ catches what keeps failing and alarms, the
 * visibility timeout follows AWS's 6 × timeout advice, the reconciler waits out the queue's whole
 * retry window, and each role gets only its part of the queue.
 */
import { ENV } from '../../../core/config/env';
import { KEY_PREFIXES } from '../../../core/constants';
import { LAMBDA_ENTRIES } from '../../../cdktf/bundling';
import { reconcileReceivedAfterSeconds, resolveStackProps, urlImportRetryWindowSeconds } from '../../../cdktf/props';
import type { ImagePipelineStack } from '../../../cdktf/stack';
import { asList, bodyOf, refOf, resourcesOf, statementsOf, synthStack, type PolicyStatementJson, type TerraformJson } from './synth-helpers';

let dev: { stack: ImagePipelineStack; json: TerraformJson };

beforeAll(() => {
  dev = synthStack('dev', { bundling: { mode: 'skip' } });
});

function policyOf(json: TerraformJson, roleRef: string): PolicyStatementJson[] {
  const policies = resourcesOf(json, 'aws_iam_role_policy').filter(([, p]) => p.role === roleRef);
  expect(policies).toHaveLength(1);
  return statementsOf(policies[0]?.[1].policy);
}

/** Every `action resource` pair a policy grants, sorted. */
function grants(statements: PolicyStatementJson[]): string[] {
  return statements.flatMap((s) => asList(s.Action).flatMap((action) => asList(s.Resource).map((resource) => `${action} ${resource}`))).sort();
}

test('the import worker exists as its own Lambda (an entry of LAMBDA_ENTRIES), outside the VPC, traced', () => {
  const { stack, json } = dev;
  expect(LAMBDA_ENTRIES.importWorker).toBe('import-worker/handler.ts');
  const fn = bodyOf(json, stack.urlImport.worker.fn);
  expect(fn.function_name).toBe('image-pipeline-dev-import-worker');
  expect(fn.vpc_config).toBeUndefined();
  expect(fn.tracing_config).toEqual({ mode: 'Active' });
  expect(fn.timeout).toBe(90);
});

test('an SQS event source mapping feeds the import queue to the worker with partial batch responses', () => {
  const { stack, json } = dev;
  const mappings = resourcesOf(json, 'aws_lambda_event_source_mapping').filter(([, m]) => m.function_name === refOf(stack.urlImport.worker.fn, 'arn'));
  expect(mappings).toHaveLength(1);
  expect(mappings[0]?.[1]).toMatchObject({ event_source_arn: refOf(stack.urlImport.queue, 'arn'), batch_size: 4, function_response_types: ['ReportBatchItemFailures'] });
});

test('the queue redrives to a DLQ after maxReceiveCount, hides a message for 6 × the worker timeout, and both are encrypted with the project key', () => {
  const { stack, json } = dev;
  const queue = bodyOf(json, stack.urlImport.queue);
  expect(JSON.parse(String(queue.redrive_policy))).toEqual({ deadLetterTargetArn: refOf(stack.urlImport.deadLetterQueue, 'arn'), maxReceiveCount: 5 });
  expect(queue.visibility_timeout_seconds).toBe(6 * Number(bodyOf(json, stack.urlImport.worker.fn).timeout));
  expect(queue.kms_master_key_id).toBe(refOf(stack.security.key, 'arn'));
  expect(bodyOf(json, stack.urlImport.deadLetterQueue)).toMatchObject({ kms_master_key_id: refOf(stack.security.key, 'arn'), message_retention_seconds: 1_209_600 });
});

test('an alarm fires on the first message visible in the DLQ', () => {
  const { stack, json } = dev;
  expect(bodyOf(json, stack.urlImport.deadLetterAlarm)).toMatchObject({
    namespace: 'AWS/SQS',
    metric_name: 'ApproximateNumberOfMessagesVisible',
    dimensions: { QueueName: refOf(stack.urlImport.deadLetterQueue, 'name') },
    threshold: 0,
    comparison_operator: 'GreaterThanThreshold',
    alarm_actions: [refOf(stack.notifications.alarmTopic, 'arn')],
  });
});

test('the API may only send to the import queue, and finds it through its environment', () => {
  const { stack, json } = dev;
  const statements = policyOf(json, refOf(stack.compute.ingestApi.role, 'id'));
  const sqs = grants(statements).filter((g) => g.startsWith('sqs:'));
  expect(sqs).toEqual([`sqs:SendMessage ${refOf(stack.urlImport.queue, 'arn')}`]);
  const variables = (bodyOf(json, stack.compute.ingestApi.fn).environment as { variables: Record<string, string> }).variables;
  expect(variables[ENV.importQueueUrl]).toBe(refOf(stack.urlImport.queue, 'url'));
  expect(variables[ENV.importQueue]).toBe(refOf(stack.urlImport.queue, 'name'));
});

test('the worker reads and deletes on the import queue only, and gets what the pipeline needs — nothing more', () => {
  const { stack, json } = dev;
  const raw = refOf(stack.storage.raw.bucket, 'arn');
  const processed = refOf(stack.storage.processed.bucket, 'arn');
  const table = refOf(stack.data.table, 'arn');
  const key = refOf(stack.security.key, 'arn');
  const queue = refOf(stack.urlImport.queue, 'arn');
  const granted = grants(policyOf(json, refOf(stack.urlImport.worker.role, 'id'))).filter((g) => !g.startsWith('logs:') && !g.startsWith('xray:'));
  expect(granted).toEqual(
    [
      `dynamodb:GetItem ${table}`,
      `dynamodb:PutItem ${table}`,
      `dynamodb:UpdateItem ${table}`,
      `kms:Decrypt ${key}`,
      `kms:GenerateDataKey ${key}`,
      `s3:GetObject ${raw}/${KEY_PREFIXES.raw}*`,
      `s3:PutObject ${processed}/${KEY_PREFIXES.processed}*`,
      `s3:PutObject ${raw}/${KEY_PREFIXES.raw}*`,
      `sns:Publish ${refOf(stack.notifications.topic, 'arn')}`,
      `sqs:DeleteMessage ${queue}`,
      `sqs:GetQueueAttributes ${queue}`,
      `sqs:ReceiveMessage ${queue}`,
    ].sort(),
  );
  // No other function may touch the queue.
  for (const [, policy] of resourcesOf(json, 'aws_iam_role_policy')) {
    if (policy.role === refOf(stack.urlImport.worker.role, 'id') || policy.role === refOf(stack.compute.ingestApi.role, 'id')) continue;
    expect(String(policy.policy)).not.toContain(refOf(stack.urlImport.queue, 'arn'));
  }
});

test('the reconciler waits longer than the import queue can keep delivering a message', () => {
  const { stack, json } = dev;
  const props = resolveStackProps('dev');
  const threshold = Number((bodyOf(json, stack.compute.reconciler.fn).environment as { variables: Record<string, string> }).variables[ENV.reconcileReceivedAfterSeconds]);
  expect(threshold).toBe(reconcileReceivedAfterSeconds(props));
  expect(threshold).toBeGreaterThan(urlImportRetryWindowSeconds(props));
  // A longer worker timeout stretches the window, and the default threshold follows it.
  const slow = resolveStackProps('dev', { lambda: { ...props.lambda, importWorker: { memoryMb: 2048, timeoutSeconds: 300 } } });
  expect(urlImportRetryWindowSeconds(slow)).toBe(5 * 6 * 300);
  expect(reconcileReceivedAfterSeconds(slow)).toBe(5 * 6 * 300 + 300);
  // An explicit threshold inside the window is refused at synth.
  expect(() => resolveStackProps('dev', { reconcile: { scheduleExpression: 'rate(15 minutes)', receivedAfterSeconds: urlImportRetryWindowSeconds(props) } })).toThrow(/reconcile\.receivedAfterSeconds/);
});
