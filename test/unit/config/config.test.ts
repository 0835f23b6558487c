import { ConfigError } from '../../../core/errors';
import { DEFAULT_NAMES, ENV, loadConfig, localStackEnvironment, requireBrokers } from '../../../core/config';
import { MAX_IMAGE_BYTES } from '../../../core/constants';

const AWS_ENV = { [ENV.snsTopicArn]: 'arn:aws:sns:eu-west-1:111122223333:images', [ENV.kafkaBrokers]: 'b-1.msk:9096,b-2.msk:9096', [ENV.region]: 'eu-west-1' };

describe('loadConfig', () => {
  it('talks to real AWS when no endpoint override is set', () => {
    const config = loadConfig(AWS_ENV);
    expect(config.isLocal).toBe(false);
    expect(config.endpoints).toEqual({ s3: undefined, dynamodb: undefined, sns: undefined, sqs: undefined, secretsManager: undefined, glue: undefined });
    expect(config.s3ForcePathStyle).toBe(false);
    expect(config.kafka.ssl).toBe(true);
    expect(config.kafka.brokers).toEqual(['b-1.msk:9096', 'b-2.msk:9096']);
    expect(config.snsTopicArn).toBe(AWS_ENV[ENV.snsTopicArn]);
  });

  it('applies the documented defaults', () => {
    const config = loadConfig(AWS_ENV);
    expect(config.limits).toEqual({ maxImageBytes: MAX_IMAGE_BYTES, maxPixels: 100_000_000, maxDecodeBytes: 256 * 1024 * 1024, retentionDays: 7 });
    expect(config.rawBucket).toBe(DEFAULT_NAMES.rawBucket);
    expect(config.table.name).toBe(DEFAULT_NAMES.imagesTable);
    expect(config.kafka.imageTopic).toBe(DEFAULT_NAMES.imageTopic);
    expect(config.fetch).toEqual({ allowLoopback: false, timeoutMs: 10_000, deadlineMs: 30_000, allowedPorts: [] });
    expect(config.stream.restartAttempts).toBe(5);
    expect(config.allowedSourceBuckets).toEqual([DEFAULT_NAMES.rawBucket]);
    expect(config.variants.map((v) => v.name)).toEqual(['thumbnail', 'medium', 'large', 'large-webp']);
  });

  it('requires SNS_TOPIC_ARN outside the local stack, naming the variable', () => {
    expect(() => loadConfig({})).toThrow(new ConfigError('SNS_TOPIC_ARN is required but is not set'));
  });

  it('lets a deployment without Kafka load, and refuses to build a Kafka client without brokers', () => {
    const config = loadConfig({ [ENV.snsTopicArn]: AWS_ENV[ENV.snsTopicArn] });
    expect(() => requireBrokers(config)).toThrow(/KAFKA_BROKERS is required/);
  });

  it.each([
    [ENV.maxImageBytes, 'ten', /MAX_IMAGE_BYTES must be an integer/],
    [ENV.maxPixels, '0', /MAX_PIXELS must be an integer between 1 and/],
    [ENV.maxDecodeBytes, '1000', /MAX_DECODE_BYTES must be an integer between 33554432 and/],
    [ENV.kafkaPort, '70000', /KAFKA_PORT must be an integer between 1 and 65535, got "70000"/],
    [ENV.fetchAllowLoopback, 'maybe', /FETCH_ALLOW_LOOPBACK must be true or false, got "maybe"/],
    [ENV.fetchAllowedPorts, '443,70000', /FETCH_ALLOWED_PORTS must be a comma-separated list of ports between 1 and 65535/],
    [ENV.endpointS3, 'not a url', /AWS_ENDPOINT_URL_S3 must be an http\(s\) URL, got "not a url"/],
    [ENV.endpointDynamoDb, 'ftp://x', /AWS_ENDPOINT_URL_DYNAMODB must be an http\(s\) URL/],
    [ENV.region, 'mars', /AWS_REGION must look like "eu-west-1", got "mars"/],
    [ENV.allowedSourceBuckets, ' , ', /ALLOWED_SOURCE_BUCKETS must be a comma-separated list/],
    [ENV.fetchDeadlineMs, '5000', /FETCH_TIMEOUT_MS \(10000\) must not be longer than FETCH_DEADLINE_MS \(5000\)/],
    [ENV.streamRestartAttempts, '101', /STREAM_RESTART_ATTEMPTS must be an integer between 0 and 100, got "101"/],
    [ENV.recordTimeBudgetMs, '999', /STREAM_RECORD_TIME_BUDGET_MS must be an integer between 1000 and 900000, got "999"/],
    [ENV.recordTimeBudgetMs, 'soon', /STREAM_RECORD_TIME_BUDGET_MS must be an integer/],
  ])('rejects a bad %s with a message naming it', (name, value, message) => {
    expect(() => loadConfig({ ...AWS_ENV, [name]: value })).toThrow(message);
  });

  it("derives the stream record's time budget from the download deadline, unless set", () => {
    expect(loadConfig(AWS_ENV).stream.recordTimeBudgetMs).toBe(90_000);
    expect(loadConfig({ ...AWS_ENV, [ENV.fetchDeadlineMs]: '120000' }).stream.recordTimeBudgetMs).toBe(180_000);
    expect(loadConfig({ ...AWS_ENV, [ENV.fetchDeadlineMs]: '120000', [ENV.recordTimeBudgetMs]: '45000' }).stream.recordTimeBudgetMs).toBe(45_000);
  });

  it('lets a longer per-attempt timeout raise the default fetch deadline with it', () => {
    expect(loadConfig({ ...AWS_ENV, [ENV.fetchTimeoutMs]: '45000' }).fetch).toMatchObject({ timeoutMs: 45_000, deadlineMs: 45_000 });
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ ...AWS_ENV, [ENV.rawBucket]: '  ' }).rawBucket).toBe(DEFAULT_NAMES.rawBucket);
  });
});

describe('localStackEnvironment', () => {
  it('points every service at 127.0.0.1 with the standard SDK variables and dummy credentials', () => {
    const env = localStackEnvironment({});
    expect(env).toMatchObject({
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:5000',
      AWS_ENDPOINT_URL_SNS: 'http://127.0.0.1:5000',
      AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:5000',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://127.0.0.1:5000',
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:8000',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      KAFKA_BROKERS: '127.0.0.1:9092',
      SNS_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:image-pipeline-notifications',
    });
    const config = loadConfig(env);
    expect(config.isLocal).toBe(true);
    expect(config.s3ForcePathStyle).toBe(true);
    expect(config.kafka.ssl).toBe(false);
  });

  it('follows port overrides and keeps values the caller already set', () => {
    const env = localStackEnvironment({ [ENV.motoPort]: '5999', [ENV.kafkaPort]: '19092', [ENV.endpointDynamoDb]: 'http://127.0.0.1:18000' });
    expect(env).toMatchObject({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:5999', KAFKA_BROKERS: '127.0.0.1:19092', AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:18000' });
  });
});
