import { DEFAULT_NAMES } from '../../../core/config/env';
import { InvalidParameterError } from '../../../core/errors';
import { environmentsFromEnv, INFRA_ENV, overridesFromEnv, resolveStackProps } from '../../../cdktf/props';

describe('resolveStackProps', () => {
  test('defaults follow the issue: 1024 MB, 29 s API, 300 s stream, arm64, Node 24', () => {
    const props = resolveStackProps('dev');
    expect(props.lambda.ingestApi).toMatchObject({ memoryMb: 1024, timeoutSeconds: 29 });
    expect(props.lambda.uploadHandler.memoryMb).toBe(1024);
    expect(props.lambda.streamConsumer).toMatchObject({ memoryMb: 1024, timeoutSeconds: 300 });
    expect(props.lambda.architecture).toBe('arm64');
    expect(props.lambda.runtime).toBe('nodejs24.x');
    expect(props.storage.objectExpirationDays).toBe(7);
  });

  test('names derive from the runtime defaults plus the environment', () => {
    const props = resolveStackProps('prod');
    expect(props.names.imagesTable).toBe(`${DEFAULT_NAMES.imagesTable}-prod`);
    expect(props.names.kafkaSecret).toBe(`${DEFAULT_NAMES.kafkaSecret}-prod`);
    expect(props.names.imageTopic).toBe(DEFAULT_NAMES.imageTopic);
    expect(props.names.consumerGroupId).toBe(DEFAULT_NAMES.consumerGroupId);
  });

  test('dev and prod differ only in sizes and retention', () => {
    const dev = resolveStackProps('dev');
    const prod = resolveStackProps('prod');
    expect(prod.msk.instanceType).not.toBe(dev.msk.instanceType);
    expect(prod.lambda.logRetentionDays).toBeGreaterThan(dev.lambda.logRetentionDays);
    expect(prod.stream.maximumRetryAttempts).toBe(dev.stream.maximumRetryAttempts);
    expect(prod.names.imageTopic).toBe(dev.names.imageTopic);
  });

  test.each([
    [{ names: { kafkaSecret: 'image-pipeline-scram' } }, /Expected a name starting with AmazonMSK_ .* for names.kafkaSecret but received "image-pipeline-scram"/],
    [{ msk: { brokerCount: 2 } }, /for msk.brokerCount but received 2/],
    [{ msk: { brokerCount: 4 } }, /Expected a multiple of the AZ count \(3\) for msk.brokerCount but received 4/],
    [{ network: { availabilityZoneCount: 1 } }, /network.availabilityZoneCount/],
    [{ lambda: { ingestApi: { memoryMb: 1024, timeoutSeconds: 30 } } }, /lambda.ingestApi.timeoutSeconds but received 30/],
    [{ lambda: { runtime: 'nodejs20.x' } }, /Node.js 22\+ .* for lambda.runtime/],
    [{ stream: { maximumRetryAttempts: -1 } }, /stream.maximumRetryAttempts but received -1/],
    // No shorter than the stream function's timeout (300 s by default), or only the first record of each invocation would start.
    [{ stream: { recordTimeBudgetSeconds: 300 } }, /integer between 1 and 299 for stream.recordTimeBudgetSeconds \(below lambda.streamConsumer.timeoutSeconds\) but received 300/],
    [{ stream: { recordTimeBudgetSeconds: 120 }, lambda: { streamConsumer: { memoryMb: 1024, timeoutSeconds: 100 } } }, /between 1 and 99 for stream.recordTimeBudgetSeconds/],
    [{ region: 'mars' }, /for region but received "mars"/],
  ])('rejects %j', (overrides, message) => {
    expect(() => resolveStackProps('dev', overrides as never)).toThrow(InvalidParameterError);
    expect(() => resolveStackProps('dev', overrides as never)).toThrow(message);
  });

  test('accepts 4 brokers across 2 AZs', () => {
    const props = resolveStackProps('dev', { network: { availabilityZoneCount: 2, natGateways: 1 }, msk: { brokerCount: 4 } });
    expect(props.msk.brokerCount).toBe(4);
  });
});

describe('environment variable inputs', () => {
  test('environments default to dev and prod and can be narrowed', () => {
    expect(environmentsFromEnv({})).toEqual(['dev', 'prod']);
    expect(environmentsFromEnv({ [INFRA_ENV.environments]: ' dev ' })).toEqual(['dev']);
  });

  test('a per-environment variable beats the shared one, and values reach the props', () => {
    const env = {
      [INFRA_ENV.mskInstanceType]: 'kafka.m5.large',
      PIPELINE_PROD_MSK_INSTANCE_TYPE: 'kafka.m7g.xlarge',
      [INFRA_ENV.failureEmail]: 'alerts@example.com',
      [INFRA_ENV.lambdaArchitecture]: 'x86_64',
      [INFRA_ENV.offsetLagThreshold]: '5000',
      AWS_REGION: 'eu-west-1',
    };
    const prod = resolveStackProps('prod', overridesFromEnv('prod', env));
    const dev = resolveStackProps('dev', overridesFromEnv('dev', env));
    expect(prod.msk.instanceType).toBe('kafka.m7g.xlarge');
    expect(dev.msk.instanceType).toBe('kafka.m5.large');
    expect(dev.notifications.failureEmail).toBe('alerts@example.com');
    expect(dev.lambda.architecture).toBe('x86_64');
    expect(dev.lambda.ingestApi.memoryMb).toBe(1024);
    expect(dev.alarms.offsetLagThreshold).toBe(5000);
    expect(dev.region).toBe('eu-west-1');
  });

  test('a QuickSight principal turns QuickSight on; a malformed number is refused by name', () => {
    const principal = 'arn:aws:quicksight:us-east-1:123456789012:user/default/alice';
    expect(resolveStackProps('dev', overridesFromEnv('dev', { [INFRA_ENV.quicksightPrincipalArn]: principal })).analytics.quicksight?.principalArn).toBe(principal);
    expect(() => overridesFromEnv('dev', { [INFRA_ENV.mskBrokerCount]: 'three' })).toThrow(/PIPELINE_MSK_BROKER_COUNT/);
    expect(() => resolveStackProps('dev', overridesFromEnv('dev', { [INFRA_ENV.lambdaArchitecture]: 'sparc' }))).toThrow(/lambda.architecture/);
  });
});
