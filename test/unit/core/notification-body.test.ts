/**
 * The SNS notification (DESIGN.md "SNS notification"): its JSON body, and what SnsNotifier puts
 * on the wire, read by a plain HTTP server on 127.0.0.1 standing where SNS would (the Query
 * protocol: a form-encoded `Publish` request).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SNSClient } from '@aws-sdk/client-sns';
import { DependencyError, DependencyRejectedError, notificationBody, type ImageRecord } from '../../../core';
import { SnsNotifier } from '../../../core/adapters/sns/notifier';
import { notificationIdFor } from '../../../core/runtime';

const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:image-notifications';
/** The id every publish of this record's notification carries (see notificationIdFor). */
const NOTIFICATION_ID = notificationIdFor('0190a6f2-7c1e-7d3a-9b2c-4e5f6a7b8c9d', 'image.processed');

function processedRecord(): ImageRecord {
  return {
    imageId: '0190a6f2-7c1e-7d3a-9b2c-4e5f6a7b8c9d',
    status: 'PROCESSED',
    source: 'kafka',
    customerId: 'acme',
    idempotencyKey: '0190a6f2-7c1e-7d3a-9b2c-4e5f6a7b8c9d',
    fileName: 'holiday.jpg',
    format: 'jpeg',
    contentType: 'image/jpeg',
    width: 1600,
    height: 1200,
    bytes: 482_113,
    sha256: 'ab'.repeat(32),
    cameraMake: 'Canon',
    raw: { bucket: 'raw-bucket', key: 'raw/2026/11/30/0190a6f2-7c1e-7d3a-9b2c-4e5f6a7b8c9d.jpg' },
    variants: {
      thumbnail: { key: 'processed/0190a6f2-7c1e-7d3a-9b2c-4e5f6a7b8c9d/thumbnail.jpg', format: 'jpeg', contentType: 'image/jpeg', width: 200, height: 200, bytes: 9_120 },
      medium: { key: 'processed/0190a6f2-7c1e-7d3a-9b2c-4e5f6a7b8c9d/medium.webp', format: 'webp', contentType: 'image/webp', width: 800, height: 600, bytes: 61_004 },
    },
    attributes: { campaign: 'spring' },
    createdAt: '2026-11-30T12:00:00.000Z',
    updatedAt: '2026-11-30T12:00:01.250Z',
    expiresAt: 1_796_644_800,
    notifiedAt: '2026-11-30T12:00:01.300Z',
  };
}

describe('notificationBody', () => {
  it('a processed image: type, ids, status, raw and processed locations, core metadata, and nothing else', () => {
    const record = processedRecord();

    const body = notificationBody({ type: 'image.processed', notificationId: NOTIFICATION_ID, record });

    expect(body).toEqual({
      type: 'image.processed',
      notificationId: NOTIFICATION_ID,
      imageId: record.imageId,
      source: 'kafka',
      customerId: 'acme',
      status: 'PROCESSED',
      raw: record.raw,
      processed: {
        thumbnail: { key: 'processed/0190a6f2-7c1e-7d3a-9b2c-4e5f6a7b8c9d/thumbnail.jpg', format: 'jpeg', width: 200, height: 200, bytes: 9_120 },
        medium: { key: 'processed/0190a6f2-7c1e-7d3a-9b2c-4e5f6a7b8c9d/medium.webp', format: 'webp', width: 800, height: 600, bytes: 61_004 },
      },
      metadata: { format: 'jpeg', width: 1600, height: 1200, bytes: 482_113, sha256: 'ab'.repeat(32), fileName: 'holiday.jpg', createdAt: '2026-11-30T12:00:00.000Z' },
      error: undefined,
    });
  });

  it('an image downloaded from a URL carries its canonical sourceUrl; other images have no such field', () => {
    const fromUrl: ImageRecord = { ...processedRecord(), source: 'api', sourceUrl: 'https://images.example.com/holiday.jpg' };

    const withUrl = notificationBody({ type: 'image.processed', notificationId: NOTIFICATION_ID, record: fromUrl });
    const without = notificationBody({ type: 'image.processed', notificationId: NOTIFICATION_ID, record: processedRecord() });

    expect(withUrl).toMatchObject({ source: 'api', sourceUrl: 'https://images.example.com/holiday.jpg' });
    expect(Object.keys(withUrl)).toContain('sourceUrl');
    expect(Object.keys(without)).not.toContain('sourceUrl');
  });

  it('a failed image: its error code and message, and no processed copies', () => {
    const record: ImageRecord = {
      ...processedRecord(),
      status: 'FAILED',
      format: undefined,
      width: undefined,
      height: undefined,
      variants: undefined,
      error: { code: 'UNDECODABLE_IMAGE', message: 'Could not decode the JPEG image: it is truncated or corrupt' },
    };

    const body = notificationBody({ type: 'image.failed', notificationId: notificationIdFor(record.imageId, 'image.failed'), record });

    expect(body).toMatchObject({ type: 'image.failed', status: 'FAILED', processed: {}, error: { code: 'UNDECODABLE_IMAGE', message: 'Could not decode the JPEG image: it is truncated or corrupt' } });
    expect(body.metadata).toEqual({ format: undefined, width: undefined, height: undefined, bytes: 482_113, sha256: 'ab'.repeat(32), fileName: 'holiday.jpg', createdAt: '2026-11-30T12:00:00.000Z' });
  });
});

describe('SnsNotifier', () => {
  let server: Server;
  let sns: SNSClient;
  const requests: URLSearchParams[] = [];
  /** The status the stand-in answers the next Publish with. */
  let answer: { status: number; body: string };
  const published = '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>5b0e2c1a-8f3d-4e6b-9a7c-2d1e0f9b8a76</MessageId></PublishResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></PublishResponse>';
  const errorBody = (code: string, type: 'Sender' | 'Receiver'): string =>
    `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>${type}</Type><Code>${code}</Code><Message>${code} (stand-in)</Message></Error><RequestId>r-2</RequestId></ErrorResponse>`;

  beforeAll(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        requests.push(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
        response.writeHead(answer.status, { 'content-type': 'text/xml' }).end(answer.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    sns = new SNSClient({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
  });

  afterAll(async () => {
    sns?.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    requests.length = 0;
    answer = { status: 200, body: published };
  });

  it('publishes the body plus the processed bucket, with type, source, customerId and notificationId as String message attributes', async () => {
    const record = processedRecord();

    await new SnsNotifier(sns, TOPIC_ARN, 'processed-bucket').publish({ type: 'image.processed', notificationId: NOTIFICATION_ID, record });

    expect(requests).toHaveLength(1);
    const request = requests[0] as URLSearchParams;
    expect([request.get('Action'), request.get('TopicArn')]).toEqual(['Publish', TOPIC_ARN]);
    expect(JSON.parse(request.get('Message') ?? '')).toEqual({ ...JSON.parse(JSON.stringify(notificationBody({ type: 'image.processed', notificationId: NOTIFICATION_ID, record }))), processedBucket: 'processed-bucket' });
    const attributes: Record<string, [string | null, string | null]> = {};
    for (let i = 1; request.has(`MessageAttributes.entry.${i}.Name`); i++) {
      attributes[request.get(`MessageAttributes.entry.${i}.Name`) as string] = [request.get(`MessageAttributes.entry.${i}.Value.DataType`), request.get(`MessageAttributes.entry.${i}.Value.StringValue`)];
    }
    expect(attributes).toEqual({ type: ['String', 'image.processed'], source: ['String', 'kafka'], customerId: ['String', 'acme'], notificationId: ['String', NOTIFICATION_ID] });
    // A standard topic takes no FIFO fields (SNS refuses MessageDeduplicationId there).
    expect([request.get('MessageGroupId'), request.get('MessageDeduplicationId')]).toEqual([null, null]);
  });

  it('on a FIFO topic (ARN ending .fifo): MessageGroupId is the image id, MessageDeduplicationId the notification id', async () => {
    const record = processedRecord();

    await new SnsNotifier(sns, `${TOPIC_ARN}.fifo`, 'processed-bucket').publish({ type: 'image.processed', notificationId: NOTIFICATION_ID, record });

    const request = requests[0] as URLSearchParams;
    expect([request.get('TopicArn'), request.get('MessageGroupId'), request.get('MessageDeduplicationId')]).toEqual([`${TOPIC_ARN}.fifo`, record.imageId, NOTIFICATION_ID]);
  });

  it('a throttled publish is a retriable DependencyError; an authorization error is a permanent DependencyRejectedError', async () => {
    const notifier = new SnsNotifier(sns, TOPIC_ARN, 'processed-bucket');
    const notification = { type: 'image.processed', notificationId: NOTIFICATION_ID, record: processedRecord() } as const;

    answer = { status: 400, body: errorBody('Throttling', 'Sender') };
    const throttled = await notifier.publish(notification).then(() => undefined, (error: unknown) => error);
    answer = { status: 403, body: errorBody('AuthorizationError', 'Sender') };
    const refused = await notifier.publish(notification).then(() => undefined, (error: unknown) => error);

    expect(throttled).toBeInstanceOf(DependencyError);
    expect(throttled).not.toBeInstanceOf(DependencyRejectedError);
    expect((throttled as DependencyError).message).toBe('SNS Publish failed: Throttling');
    expect(refused).toBeInstanceOf(DependencyRejectedError);
    expect((refused as Error).message).toBe('SNS refused Publish (AuthorizationErrorException); not retried');
  });
});
