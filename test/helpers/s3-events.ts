import type { S3Event } from 'aws-lambda';

/**
 * An S3 `ObjectCreated:Post` notification for one object, shaped as S3 delivers it to the upload
 * handler (event version 2.1; the fields the handler does not read hold placeholders).
 *
 * @param bucket the bucket name; `key` the object key as S3 sends it (URL-encoded form).
 */
export function objectCreatedEvent(region: string, bucket: string, key: string): S3Event {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: region,
        eventTime: new Date().toISOString(),
        eventName: 'ObjectCreated:Post',
        s3: { s3SchemaVersion: '1.0', configurationId: 'incoming', bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}`, ownerIdentity: { principalId: 'x' } }, object: { key, size: 1, eTag: 'x', sequencer: '1' } },
        userIdentity: { principalId: 'x' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': 'x', 'x-amz-id-2': 'x' },
      },
    ],
  } as S3Event;
}
