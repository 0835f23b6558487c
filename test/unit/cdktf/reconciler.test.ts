/**
 * Guarantees of the scheduled reconciler on AWS: EventBridge Scheduler invokes exactly the
 * reconciler function through a role that can do nothing else; the function's role is the
 * least it needs (read raw, write variants, transition and read the status index, publish);
 * its threshold derives from the stream path's retry window; an alarm fires when it repaired
 * anything within an hour.
 */
import { ENV } from '../../../core/config/env';
import { INDEX_NAMES, KEY_PREFIXES } from '../../../core/constants';
import { RECONCILE_METRICS } from '../../../core/reconciler';
import { XRAY_WRITE_ACTIONS } from '../../../cdktf/constructs/compute';
import type { ImagePipelineStack } from '../../../cdktf/stack';
import { asList, bodyOf, refOf, resourcesOf, statementsOf, synthStack, type TerraformJson } from './synth-helpers';

let dev: { stack: ImagePipelineStack; json: TerraformJson };

beforeAll(() => {
  dev = synthStack('dev', { bundling: { mode: 'skip' } });
});

function policyOf(json: TerraformJson, roleRef: string): ReturnType<typeof statementsOf> {
  const policies = resourcesOf(json, 'aws_iam_role_policy').filter(([, p]) => p.role === roleRef);
  expect(policies).toHaveLength(1);
  return statementsOf(policies[0]?.[1].policy);
}

test('EventBridge Scheduler invokes the reconciler function on its schedule, with no flexible window and no retries', () => {
  const { stack, json } = dev;
  const schedule = bodyOf(json, stack.reconciliation.schedule);
  expect(schedule.schedule_expression).toBe('rate(15 minutes)');
  expect(schedule.flexible_time_window).toEqual({ mode: 'OFF' });
  const target = schedule.target as Record<string, unknown>;
  expect(target.arn).toBe(refOf(stack.compute.reconciler.fn, 'arn'));
  expect(target.role_arn).toBe(refOf(stack.reconciliation.schedulerRole, 'arn'));
  expect(target.retry_policy).toEqual({ maximum_retry_attempts: 0, maximum_event_age_in_seconds: 60 });
});

test('the scheduler role may only invoke the reconciler, and only the scheduler of this account may assume it', () => {
  const { stack, json } = dev;
  const role = bodyOf(json, stack.reconciliation.schedulerRole);
  const trust = JSON.parse(String(role.assume_role_policy)) as { Statement: { Principal: unknown; Condition: unknown }[] };
  expect(trust.Statement).toHaveLength(1);
  expect(trust.Statement[0]?.Principal).toEqual({ Service: 'scheduler.amazonaws.com' });
  expect(trust.Statement[0]?.Condition).toEqual({ StringEquals: { 'aws:SourceAccount': '${data.aws_caller_identity.caller.account_id}' } });
  const statements = policyOf(json, refOf(stack.reconciliation.schedulerRole, 'id'));
  expect(statements.map((s) => [asList(s.Action), asList(s.Resource)])).toEqual([[['lambda:InvokeFunction'], [refOf(stack.compute.reconciler.fn, 'arn')]]]);
});

test('the reconciler role reads raw objects, writes variants, transitions records, reads only the status index and publishes — nothing more', () => {
  const { stack, json } = dev;
  const table = refOf(stack.data.table, 'arn');
  const statements = policyOf(json, refOf(stack.compute.reconciler.role, 'id'));
  const granted = statements.flatMap((s) => asList(s.Action).map((action) => `${action} ${asList(s.Resource).join(',')}`)).sort();
  expect(granted).toEqual(
    [
      `dynamodb:GetItem ${table}`,
      `dynamodb:Query ${table}/index/${INDEX_NAMES.byStatusDay}`,
      `dynamodb:UpdateItem ${table}`,
      `kms:Decrypt ${refOf(stack.security.key, 'arn')}`,
      `kms:GenerateDataKey ${refOf(stack.security.key, 'arn')}`,
      `logs:CreateLogStream ${refOf(stack.compute.reconciler.logGroup, 'arn')}:*`,
      `logs:PutLogEvents ${refOf(stack.compute.reconciler.logGroup, 'arn')}:*`,
      `s3:GetObject ${refOf(stack.storage.raw.bucket, 'arn')}/${KEY_PREFIXES.raw}*`,
      `s3:PutObject ${refOf(stack.storage.processed.bucket, 'arn')}/${KEY_PREFIXES.processed}*`,
      `sns:Publish ${refOf(stack.notifications.topic, 'arn')}`,
      // Active tracing, as on every function (docs/tracing.md).
      ...XRAY_WRITE_ACTIONS.map((action) => `${action} *`),
    ].sort(),
  );
  // It never creates a record (no PutItem) and needs no VPC: it talks to AWS APIs only.
  expect(granted.some((g) => g.startsWith('dynamodb:PutItem'))).toBe(false);
  expect(bodyOf(json, stack.compute.reconciler.fn).vpc_config).toBeUndefined();
});

test('the RECEIVED threshold is the longest retry window (stream or URL import queue) plus five minutes, and follows the props', () => {
  const env = (json: TerraformJson, stack: ImagePipelineStack): Record<string, string> =>
    (bodyOf(json, stack.compute.reconciler.fn).environment as { variables: Record<string, string> }).variables;
  // max((10 retries + 1) × 300 s timeout, 5 receives × 6 × 90 s) + 300 s.
  expect(env(dev.json, dev.stack)[ENV.reconcileReceivedAfterSeconds]).toBe('3600');
  // With fewer stream retries, the URL import queue's 5 × 540 s is the longer window.
  const fewerRetries = synthStack('dev', { bundling: { mode: 'skip' }, stream: { maximumRetryAttempts: 2 } });
  expect(env(fewerRetries.json, fewerRetries.stack)[ENV.reconcileReceivedAfterSeconds]).toBe(String(5 * 6 * 90 + 300));
  const fewerReceivesToo = synthStack('dev', { bundling: { mode: 'skip' }, stream: { maximumRetryAttempts: 2 }, urlImport: { maxReceiveCount: 1 } });
  expect(env(fewerReceivesToo.json, fewerReceivesToo.stack)[ENV.reconcileReceivedAfterSeconds]).toBe(String(3 * 300 + 300));
});

test('an alarm fires when the reconciler repaired anything over one hour, and notifies the ops topic', () => {
  const { stack, json } = dev;
  const alarm = bodyOf(json, stack.reconciliation.alarm);
  expect(alarm).toMatchObject({ threshold: 0, comparison_operator: 'GreaterThanThreshold', evaluation_periods: 1, treat_missing_data: 'notBreaching' });
  expect(alarm.alarm_actions).toEqual([refOf(stack.notifications.alarmTopic, 'arn')]);
  const queries = asList(alarm.metric_query as Record<string, unknown>[]);
  const metrics = queries.filter((q) => q.metric !== undefined).map((q) => asList(q.metric as Record<string, unknown>[])[0] ?? (q.metric as Record<string, unknown>));
  expect(metrics.map((m) => m.metric_name).sort()).toEqual(Object.values(RECONCILE_METRICS).sort());
  for (const m of metrics) expect(m).toMatchObject({ namespace: 'ImagePipeline', period: 3600, stat: 'Sum', dimensions: { service: 'reconciler' } });
  const expression = queries.find((q) => q.expression !== undefined);
  expect(expression).toMatchObject({ expression: 'recovered + abandoned + late', return_data: true });
});
