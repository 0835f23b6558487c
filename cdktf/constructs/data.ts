import { Construct } from 'constructs';
import { IMAGE_TABLE } from '../../core/adapters/dynamodb/table';
import { DynamodbTable } from '@cdktn/provider-aws/lib/dynamodb-table';
import type { KmsKey } from '@cdktn/provider-aws/lib/kms-key';
import type { StackContext } from './context';

/** The table's key and index layout: the runtime adapter's own constant, so the two cannot drift. */
export const TABLE_SCHEMA = IMAGE_TABLE;

/**
 * The images table: on-demand, TTL on `expiresAt` (epoch seconds), point-in-time recovery,
 * SSE with the project key, and the two GSIs ("newest first for a customer", "by status for a day").
 */
export class Data extends Construct {
  readonly table: DynamodbTable;

  constructor(scope: Construct, id: string, ctx: StackContext, key: KmsKey) {
    super(scope, id);
    const { props } = ctx;
    const s = TABLE_SCHEMA;
    // Pre-warmed on-demand capacity (docs/capacity.md): a one-minute peak above twice the previous
    // one would otherwise be throttled while DynamoDB splits partitions.
    const units = props.data.warmWriteUnitsPerSecond;
    const warm = units === undefined ? undefined : { writeUnitsPerSecond: units, readUnitsPerSecond: 12_000 };
    this.table = new DynamodbTable(this, 'images', {
      name: props.names.imagesTable,
      billingMode: 'PAY_PER_REQUEST',
      hashKey: s.partitionKey,
      // createdAt is an ISO-8601 string: it sorts chronologically as a string.
      attribute: [
        { name: s.partitionKey, type: 'S' },
        { name: s.customerIndex.partitionKey, type: 'S' },
        { name: s.statusIndex.partitionKey, type: 'S' },
        { name: s.customerIndex.sortKey, type: 'S' },
      ],
      globalSecondaryIndex: [
        { name: s.customerIndex.name, hashKey: s.customerIndex.partitionKey, rangeKey: s.customerIndex.sortKey, projectionType: 'ALL', warmThroughput: warm },
        // Its key value is `STATUS#YYYY-MM-DD#N`, write-sharded from the image id (status-key.ts).
        { name: s.statusIndex.name, hashKey: s.statusIndex.partitionKey, rangeKey: s.statusIndex.sortKey, projectionType: 'ALL', warmThroughput: warm },
      ],
      warmThroughput: warm,
      ttl: { attributeName: s.ttlAttribute, enabled: true },
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true, kmsKeyArn: key.arn },
      deletionProtectionEnabled: props.data.deletionProtection,
      tags: props.tags,
    });
  }
}
