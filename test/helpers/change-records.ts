import type { ChangeRecord } from '../../core/analytics';

/** What one synthetic image's life looks like in change records. */
export interface SyntheticImage {
  imageId: string;
  customerId: string;
  source: 'api' | 'upload' | 'kafka';
  status: 'RECEIVED' | 'PROCESSED' | 'FAILED';
  createdAt: Date;
  /** Milliseconds from RECEIVED to the final status. @default 250 */
  processingMs?: number;
  errorCode?: string;
  format?: string;
  bytes?: number;
}

function image(i: SyntheticImage, status: SyntheticImage['status'], updatedAt: Date): ChangeRecord['dynamodb']['NewImage'] {
  const item: NonNullable<ChangeRecord['dynamodb']['NewImage']> = {
    imageId: { S: i.imageId },
    status: { S: status },
    source: { S: i.source },
    customerId: { S: i.customerId },
    bytes: { N: String(i.bytes ?? 1000) },
    sha256: { S: 'ab'.repeat(32) },
    createdAt: { S: i.createdAt.toISOString() },
    updatedAt: { S: updatedAt.toISOString() },
    expiresAt: { N: String(Math.floor(i.createdAt.getTime() / 1000) + 7 * 86_400) },
  };
  if (i.format !== undefined) item.format = { S: i.format };
  if (status === 'FAILED') item.error = { M: { code: { S: i.errorCode ?? 'UNSUPPORTED_IMAGE' }, message: { S: 'synthetic failure' } } };
  return item;
}

/**
 * The change records one image produces (INSERT as RECEIVED, then MODIFY to its final status),
 * as JSON lines in the shape Firehose writes.
 */
export function changeRecordsFor(i: SyntheticImage): ChangeRecord[] {
  const record = (eventName: ChangeRecord['eventName'], status: SyntheticImage['status'], at: Date, seq: number): ChangeRecord => ({
    awsRegion: 'us-east-1',
    eventID: `${i.imageId}-${seq}`,
    eventName,
    userIdentity: null,
    recordFormat: 'application/json',
    tableName: 'image-pipeline-images',
    dynamodb: {
      ApproximateCreationDateTime: at.getTime(),
      ApproximateCreationDateTimePrecision: 'MILLISECOND',
      Keys: { imageId: { S: i.imageId } },
      NewImage: image(i, status, at),
      SizeBytes: 300,
    },
    eventSource: 'aws:dynamodb',
  });
  const records = [record('INSERT', 'RECEIVED', i.createdAt, 0)];
  if (i.status !== 'RECEIVED') records.push(record('MODIFY', i.status, new Date(i.createdAt.getTime() + (i.processingMs ?? 250)), 1));
  return records;
}
