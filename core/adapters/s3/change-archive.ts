import { randomUUID } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { METADATA_PREFIX, deliveryObjectKey, type ChangeRecord } from '../../analytics/change-record';
import type { BlobStore } from '../../ports';
import { asDependencyError } from '../dependency-error';

/** A delivered object of change records: its key, its `dt` partition and its JSON lines. */
export interface ChangeObject {
  key: string;
  dt: string;
  lines: string[];
}

/** Largest delivered object read back (Firehose's largest buffer is 128 MiB). */
const MAX_OBJECT_BYTES = 128 * 1024 * 1024;

/**
 * The analytics bucket's `metadata/` prefix: objects of newline-delimited change records,
 * gzip-compressed, under `dt=YYYY-MM-DD/` (Firehose's layout). Objects are read and written
 * through the project's {@link BlobStore}; only listing needs the S3 client itself.
 */
export class S3ChangeArchive {
  constructor(
    private readonly s3: S3Client,
    private readonly blobs: BlobStore,
    private readonly bucket: string,
    private readonly deliveryStream = 'image-pipeline-local-metadata-to-s3',
  ) {}

  /**
   * Writes one delivery: the records as JSON lines, each ending in a newline (Firehose's
   * AppendDelimiterToRecord), gzip-compressed. Returns the key, or undefined when there was nothing.
   * @throws DependencyError when S3 fails.
   */
  async deliver(records: readonly ChangeRecord[], at = new Date()): Promise<string | undefined> {
    if (records.length === 0) return undefined;
    const body = gzipSync(Buffer.from(records.map((r) => `${JSON.stringify(r)}\n`).join('')));
    const key = deliveryObjectKey(this.deliveryStream, at, randomUUID());
    await this.blobs.put({ bucket: this.bucket, key }, body, { contentType: 'application/octet-stream' });
    return key;
  }

  /**
   * Keys of delivered objects in partitions `dt >= sinceDay`, oldest partition first.
   * @throws DependencyError when S3 fails.
   */
  async list(sinceDay: string): Promise<{ key: string; dt: string }[]> {
    const keys: { key: string; dt: string }[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.s3.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${METADATA_PREFIX}dt=`, StartAfter: `${METADATA_PREFIX}dt=${sinceDay}`, ContinuationToken: token }),
        );
        for (const object of page.Contents ?? []) {
          const match = /^metadata\/dt=(\d{4}-\d{2}-\d{2})\//.exec(object.Key ?? '');
          if (match?.[1] !== undefined && match[1] >= sinceDay) keys.push({ key: object.Key as string, dt: match[1] });
        }
        token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
    } catch (error) {
      throw asDependencyError('S3', `ListObjectsV2 ${this.bucket}/${METADATA_PREFIX}`, error);
    }
    return keys;
  }

  /**
   * One delivered object's records as JSON lines (gzip or plain).
   * @throws SourceNotFoundError when it no longer exists; DependencyError when S3 fails.
   */
  async read(object: { key: string; dt: string }): Promise<ChangeObject> {
    const raw = await this.blobs.get({ bucket: this.bucket, key: object.key }, MAX_OBJECT_BYTES);
    const text = (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw, { maxOutputLength: 8 * MAX_OBJECT_BYTES }) : raw).toString('utf8');
    return { ...object, lines: text.split('\n').filter((line) => line.trim() !== '') };
  }
}
