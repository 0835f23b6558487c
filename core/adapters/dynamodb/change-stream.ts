import { DescribeTableCommand, UpdateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  TrimmedDataAccessException,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { AttributeValueJson, ChangeRecord } from '../../analytics/change-record';
import type { Config } from '../../config';
import { asDependencyError } from '../dependency-error';

/** A DynamoDB Streams client for the configured region and endpoint (DynamoDB's own, locally). */
export function createStreamsClient(config: Config): DynamoDBStreamsClient {
  return new DynamoDBStreamsClient({ region: config.region, endpoint: config.endpoints.dynamodbStreams, maxAttempts: 3 });
}

/**
 * Turns on the table's DynamoDB stream (new and old images) unless it is already on, and returns
 * the stream's ARN. The local stand-in for AWS's Kinesis streaming destination, which moto
 * does not serve.
 * @throws DependencyError when DynamoDB fails.
 */
export async function ensureTableStream(dynamodb: DynamoDBClient, tableName: string): Promise<string> {
  try {
    const described = await dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
    const current = described.Table?.LatestStreamArn;
    if (described.Table?.StreamSpecification?.StreamEnabled === true && current !== undefined) return current;
    const updated = await dynamodb.send(
      new UpdateTableCommand({ TableName: tableName, StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' } }),
    );
    const arn = updated.TableDescription?.LatestStreamArn;
    if (arn === undefined) throw new Error(`DynamoDB enabled the stream of ${tableName} but returned no stream ARN`);
    return arn;
  } catch (error) {
    throw asDependencyError('DynamoDB', `UpdateTable ${tableName} (stream)`, error);
  }
}

/**
 * A record from the DynamoDB Streams API in the shape Kinesis Data Streams for DynamoDB gives
 * Firehose (what AWS writes to the analytics bucket): same item images, `tableName` and
 * `recordFormat` added, `ApproximateCreationDateTime` in epoch milliseconds.
 */
export function toChangeRecord(record: StreamRecord, tableName: string): ChangeRecord {
  const d = record.dynamodb ?? {};
  const created = d.ApproximateCreationDateTime;
  return {
    awsRegion: record.awsRegion ?? '',
    eventID: record.eventID ?? '',
    eventName: (record.eventName ?? 'MODIFY') as ChangeRecord['eventName'],
    userIdentity: record.userIdentity?.Type !== undefined ? { type: record.userIdentity.Type, principalId: record.userIdentity.PrincipalId ?? '' } : null,
    recordFormat: 'application/json',
    tableName,
    dynamodb: {
      ApproximateCreationDateTime: created instanceof Date ? created.getTime() : Date.now(),
      ApproximateCreationDateTimePrecision: 'MILLISECOND',
      Keys: (d.Keys ?? {}) as Record<string, AttributeValueJson>,
      ...(d.NewImage !== undefined ? { NewImage: d.NewImage as Record<string, AttributeValueJson> } : {}),
      ...(d.OldImage !== undefined ? { OldImage: d.OldImage as Record<string, AttributeValueJson> } : {}),
      SizeBytes: d.SizeBytes ?? 0,
    },
    eventSource: 'aws:dynamodb',
  };
}

/**
 * Reads a table's DynamoDB stream from the oldest record on, shard by shard, at least once
 * (as Kinesis → Firehose does). Shards that appear later are picked up on the next poll.
 */
export class DynamoDbChangeStream {
  private readonly iterators = new Map<string, string | null>();

  constructor(
    private readonly streams: DynamoDBStreamsClient,
    private readonly streamArn: string,
    private readonly tableName: string,
  ) {}

  /**
   * One pass over every open shard; returns what arrived since the last pass.
   * @throws DependencyError when the Streams API fails.
   */
  async poll(maxRecordsPerShard = 1000): Promise<ChangeRecord[]> {
    const out: ChangeRecord[] = [];
    try {
      const described = await this.streams.send(new DescribeStreamCommand({ StreamArn: this.streamArn }));
      for (const shard of described.StreamDescription?.Shards ?? []) {
        const shardId = shard.ShardId;
        if (shardId === undefined || this.iterators.get(shardId) === null) continue;
        let iterator = this.iterators.get(shardId);
        if (iterator === undefined) {
          const start = await this.streams.send(new GetShardIteratorCommand({ StreamArn: this.streamArn, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }));
          iterator = start.ShardIterator ?? null;
        }
        if (iterator === null) {
          this.iterators.set(shardId, null);
          continue;
        }
        try {
          const page = await this.streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: maxRecordsPerShard }));
          for (const record of page.Records ?? []) out.push(toChangeRecord(record, this.tableName));
          // A closed shard ends with no next iterator: remember it as done.
          this.iterators.set(shardId, page.NextShardIterator ?? null);
        } catch (error) {
          if (error instanceof ExpiredIteratorException || error instanceof TrimmedDataAccessException) {
            this.iterators.delete(shardId);
            continue;
          }
          throw error;
        }
      }
    } catch (error) {
      throw asDependencyError('DynamoDB Streams', `GetRecords ${this.tableName}`, error);
    }
    return out;
  }
}
