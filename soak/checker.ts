/**
 * The soak checker's reading of the table and its verdict on each accepted image.
 *
 * Reading: one pass over the table at the end, with a projection (the four attributes the
 * verdict needs) and small pages. The moto stand-in serves DynamoDB one request at a time and
 * its cost is per item it returns (it serializes each attribute value of each item, tens of ms
 * an item on a loaded machine; docs/soak.md has the measurements), so a whole-item, 1 MB page
 * holds the pipeline's own requests up for longer than their timeout. While the pipeline
 * settles the checker reads no table at all: an image is settled once its notification arrived,
 * and notifications are published only after the final write.
 */
import { ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
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

/** Items per page of the checker's table read: short requests, so the pipeline's interleave. */
export const CHECKER_PAGE_ITEMS = 250;

/**
 * Every record of the table (image id → status, error code, notifiedAt), read with a projected,
 * paginated Scan. Bounded: at most `maxPages` pages.
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
        ProjectionExpression: '#id, #s, #n, #e.#c',
        ExpressionAttributeNames: { '#id': 'imageId', '#s': 'status', '#n': 'notifiedAt', '#e': 'error', '#c': 'code' },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of r.Items ?? []) {
      const id = item.imageId?.S;
      if (id === undefined) continue;
      const prev = records.get(id);
      records.set(id, { status: item.status?.S ?? '?', count: (prev?.count ?? 0) + 1, notifiedAt: item.notifiedAt?.S, errorCode: item.error?.M?.code?.S });
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
