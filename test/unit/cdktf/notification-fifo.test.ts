/**
 * Issue 13: the FIFO notification topic option. SNS drops a re-published notification (same
 * MessageDeduplicationId = notification id) within 5 minutes; FIFO topics deliver only to SQS,
 * so the stack refuses an email subscription with it. The notifier recognises the topic by its
 * `.fifo` name, which the Lambdas get as SNS_TOPIC_ARN.
 */
import { ENV } from '../../../core/config/env';
import { INFRA_ENV, overridesFromEnv, resolveStackProps } from '../../../cdktf/props';
import { isFifoTopicArn } from '../../../core/adapters/sns/notifier';
import { bodyOf, refOf, resourcesOf, synthStack } from './synth-helpers';

test('notifications.fifo makes the topic and its queue FIFO, deduplicated per message group, and the Lambdas publish to it', () => {
  const { stack, json } = synthStack('dev', { notifications: { fifo: true }, bundling: { mode: 'skip' } });

  const topic = bodyOf(json, stack.notifications.topic);
  expect(topic).toMatchObject({ name: 'image-pipeline-notifications-dev.fifo', fifo_topic: true, content_based_deduplication: false, fifo_throughput_scope: 'MessageGroup' });
  expect(isFifoTopicArn(`arn:aws:sns:eu-west-1:123456789012:${String(topic.name)}`)).toBe(true);
  const queue = bodyOf(json, stack.notifications.queue!);
  expect(queue).toMatchObject({ name: 'image-pipeline-notifications-dev.fifo', fifo_queue: true });
  const [[, variables] = ['', {}]] = resourcesOf(json, 'aws_lambda_function').map(([id, fn]) => [id, (fn.environment as { variables: Record<string, string> }).variables]);
  expect(variables[ENV.snsTopicArn]).toBe(refOf(stack.notifications.topic, 'arn'));
});

test('the default topic is a standard one (every subscriber protocol), named without .fifo', () => {
  const { stack, json } = synthStack('dev', { bundling: { mode: 'skip' } });

  const topic = bodyOf(json, stack.notifications.topic);
  expect(topic.name).toBe('image-pipeline-notifications-dev');
  expect(topic.fifo_topic).toBeUndefined();
  expect(isFifoTopicArn(`arn:aws:sns:eu-west-1:123456789012:${String(topic.name)}`)).toBe(false);
});

test('a FIFO topic with a failure email is refused: FIFO topics deliver only to SQS', () => {
  expect(() => resolveStackProps('dev', { notifications: { fifo: true, failureEmail: 'ops@example.com' } })).toThrow(/FIFO topics deliver only to SQS\) for notifications\.failureEmail/);
});

test(`${INFRA_ENV.notificationFifo} turns it on per environment`, () => {
  expect(overridesFromEnv('prod', { [INFRA_ENV.notificationFifo]: 'true' }).notifications?.fifo).toBe(true);
  expect(overridesFromEnv('prod', {}).notifications?.fifo).toBeUndefined();
});
