/**
 * The soak checker's reading of the table and its verdict on each accepted image.
 *
 * Reading, once, at the end: a GetItem per accepted image (projected to the four attributes the
 * verdict needs) and a `Select: COUNT` Scan of the table; only when the table holds more records
 * than the accepted images found does it list them all (a projected Scan) to name the extra ones.
 * The moto stand-in serves DynamoDB one request at a time, its cost is per item it returns (it
 * serializes each attribute value of each item, ~25 ms an item on this loaded machine) and each
 * Scan page first walks past every item before its start key (docs/soak.md has the
 * measurements): a whole-item 1 MB page took 26 s, longer than the pipeline's 10 s request
 * timeout, and a projected whole-table Scan grows with the square of the table. A GetItem costs
 * the same at 1,000 and 40,000 items, and COUNT pages return no items. While the pipeline
 * settles the checker reads no table at all: an image is settled once its notification arrived,
 * and notifications are published only after the final write.
 */
import { GetItemCommand, ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ERROR_CODES } from '../core/errors';

/** What the checker keeps of one record. */
export interface CheckedRecord {
  status: string;
  /** Items read with this image id (a keyed table holds one; kept as a guard against a reader that repeats). */
  count: number;
  notifiedAt?: string;
  /** `error.code` of a FAILED record. */
  errorCode?: string;
}

const PROJECTION = { ProjectionExpression: '#id, #s, #n, #e.#c', ExpressionAttributeNames: { '#id': 'imageId', '#s': 'status', '#n': 'notifiedAt', '#e': 'error', '#c': 'code' } };

function toChecked(item: Record<string, AttributeValue>, previous?: CheckedRecord): CheckedRecord {
  return { status: item.status?.S ?? '?', count: (previous?.count ?? 0) + 1, notifiedAt: item.notifiedAt?.S, errorCode: item.error?.M?.code?.S };
}

/**
 * The records of `ids` (those that exist), one consistent, projected GetItem each, `concurrency`
 * in flight.
 * @throws the SDK's error when a record cannot be read after its retries.
 */
export async function readRecordsById(dynamodb: DynamoDBClient, tableName: string, ids: Iterable<string>, concurrency = 2): Promise<Map<string, CheckedRecord>> {
  const records = new Map<string, CheckedRecord>();
  const queue = [...ids];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, concurrency) }, async () => {
      while (next < queue.length) {
        const id = queue[next++] as string;
        const r = await dynamodb.send(new GetItemCommand({ TableName: tableName, Key: { imageId: { S: id } }, ConsistentRead: true, ...PROJECTION }));
        if (r.Item !== undefined) records.set(id, toChecked(r.Item));
      }
    }),
  );
  return records;
}

/**
 * How many records the table holds: a `Select: COUNT` Scan (no items returned). Bounded: at
 * most `maxPages` pages.
 * @throws Error when the table has more pages than that.
 */
export async function countRecords(dynamodb: DynamoDBClient, tableName: string, maxPages = 10_000): Promise<number> {
  let count = 0;
  let start: Record<string, AttributeValue> | undefined;
  for (let page = 0; page < maxPages; page++) {
    const r = await dynamodb.send(new ScanCommand({ TableName: tableName, Select: 'COUNT', ExclusiveStartKey: start }));
    count += r.Count ?? 0;
    start = r.LastEvaluatedKey;
    if (start === undefined) return count;
  }
  throw new Error(`the table has more than ${maxPages} pages`);
}

/** Items per page of the checker's table read: short requests, so the pipeline's interleave. */
export const CHECKER_PAGE_ITEMS = 250;

/**
 * Every record of the table (image id → status, error code, notifiedAt), read with a projected,
 * paginated Scan: for naming records no client was answered for, when {@link countRecords} says
 * there are some. Bounded: at most `maxPages` pages.
 * @throws the SDK's error when a page cannot be read after its retries.
 */
export async function readRecords(dynamodb: DynamoDBClient, tableName: string, maxPages = 10_000): Promise<Map<string, CheckedRecord>> {
  const records = new Map<string, CheckedRecord>();
  let start: Record<string, AttributeValue> | undefined;
  for (let page = 0; page < maxPages; page++) {
    const r = await dynamodb.send(
      new ScanCommand({
        TableName: tableName,
        Limit: CHECKER_PAGE_ITEMS,
        ...PROJECTION,
        ExclusiveStartKey: start,
      }),
    );
    for (const item of r.Items ?? []) {
      const id = item.imageId?.S;
      if (id === undefined) continue;
      records.set(id, toChecked(item, records.get(id)));
    }
    start = r.LastEvaluatedKey;
    if (start === undefined) return records;
  }
  throw new Error(`the table has more than ${maxPages} pages of ${CHECKER_PAGE_ITEMS}`);
}

/**
 * Error codes of a FAILED record that mean the soak's own setup refused its image: every soak
 * image is a valid JPEG from a source the soak serves, so a policy refusal (a URL whose scheme,
 * port or address the fetcher does not allow) says the pipeline was configured wrong for the
 * soak, not that it lost or mishandled anything.
 */
export const SETUP_FAILURE_CODES: ReadonlySet<string> = new Set([ERROR_CODES.forbiddenSource]);

/** The checker's verdict on one accepted image. */
export type ImageVerdict =
  | { kind: 'ok'; republished: boolean }
  | { kind: 'lost' | 'duplicated' | 'stuck' | 'setup-failure'; detail: string };

/**
 * Judges one accepted image from its record and the notifications the checker received.
 *
 * - **lost**: no record;
 * - **duplicated**: more than one notification (distinct notification ids) or a second record;
 *   the same notification id published again is not one (a subscriber dedupes on it), it is
 *   `republished`;
 * - **setup-failure**: FAILED for a policy reason ({@link SETUP_FAILURE_CODES}): the soak's
 *   pipeline was not set up to take the soak's own sources, so that path was not exercised;
 * - **stuck**: still RECEIVED, or final with no notification;
 * - **ok**: final with exactly one notification.
 */
export function judgeImage(record: CheckedRecord | undefined, distinctNotifications: number, snsPublishes: number): ImageVerdict {
  if (record === undefined) return { kind: 'lost', detail: 'lost: no record' };
  if (distinctNotifications > 1 || record.count > 1) return { kind: 'duplicated', detail: `duplicated: ${distinctNotifications} distinct notifications, ${record.count} records` };
  if (record.status === 'FAILED' && record.errorCode !== undefined && SETUP_FAILURE_CODES.has(record.errorCode)) {
    return { kind: 'setup-failure', detail: `setup failure: FAILED ${record.errorCode} (the soak's pipeline refused the soak's own source)` };
  }
  if (record.status === 'RECEIVED' || distinctNotifications === 0) return { kind: 'stuck', detail: `stuck: ${record.status}, ${distinctNotifications} notifications` };
  return { kind: 'ok', republished: snsPublishes > 1 };
}
