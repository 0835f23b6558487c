/**
 * The metadata change records the analytics bucket holds: one JSON object per line, exactly as
 * Amazon Kinesis Data Streams for DynamoDB emits them and Firehose writes them to S3. The local
 * stack writes the same records from the table's DynamoDB stream, so Athena's table definition
 * and the local engine read one shape.
 *
 * Source of the record format: AWS DynamoDB Developer Guide, "Kinesis Data Streams for DynamoDB",
 * record format (`awsRegion`, `eventID`, `eventName`, `tableName`, `dynamodb.ApproximateCreationDateTime`
 * in epoch milliseconds when the destination's precision is MILLISECOND, `Keys`, `NewImage`,
 * `OldImage`, `SizeBytes`).
 */

/** Prefix of the change records in the analytics bucket (Hive-style `dt=` partitions). */
export const METADATA_PREFIX = 'metadata/';

/**
 * Item attributes exposed to Athena, with their DynamoDB JSON type tag. They are the metadata
 * store's attribute names; one not listed here is simply not a column.
 */
export const METADATA_ATTRIBUTES = {
  imageId: 'S',
  status: 'S',
  source: 'S',
  customerId: 'S',
  format: 'S',
  width: 'N',
  height: 'N',
  bytes: 'N',
  sha256: 'S',
  statusDay: 'S',
  createdAt: 'S',
  updatedAt: 'S',
  expiresAt: 'N',
} as const;

/** A field of the record schema: a scalar type or a nested struct (field name → field). */
export type SchemaField = 'string' | 'bigint' | { readonly [name: string]: SchemaField };

/** The item image as a struct of DynamoDB JSON: `{ "status": { "S": "…" }, "error": { "M": { … } } }`. */
function itemImageSchema(): Record<string, SchemaField> {
  const fields: Record<string, SchemaField> = {};
  for (const [name, tag] of Object.entries(METADATA_ATTRIBUTES)) fields[name] = { [tag]: 'string' };
  fields.error = { M: { code: { S: 'string' }, message: { S: 'string' } } };
  return fields;
}

/**
 * The declared shape of one change record, in the record's own key case. Glue lower-cases the
 * names (the OpenX JSON SerDe matches keys case-insensitively); DuckDB reads the real keys and
 * resolves struct fields case-insensitively, so the same SQL text reads both.
 */
export const CHANGE_RECORD_SCHEMA: Readonly<Record<string, SchemaField>> = {
  awsRegion: 'string',
  eventID: 'string',
  eventName: 'string',
  tableName: 'string',
  dynamodb: {
    ApproximateCreationDateTime: 'bigint',
    Keys: { imageId: { S: 'string' } },
    NewImage: itemImageSchema(),
    SizeBytes: 'bigint',
  },
};

/** Hive/Glue type text of a schema field, lower-cased as the Glue catalog stores it. */
export function glueType(field: SchemaField): string {
  if (typeof field === 'string') return field;
  return `struct<${Object.entries(field).map(([name, f]) => `${name.toLowerCase()}:${glueType(f)}`).join(',')}>`;
}

/** The Glue table's columns (without the `dt` partition key). */
export function glueColumns(): { name: string; type: string }[] {
  return Object.entries(CHANGE_RECORD_SCHEMA).map(([name, field]) => ({ name: name.toLowerCase(), type: glueType(field) }));
}

/**
 * Every dotted column path the schema declares, lower-cased (`dynamodb.newimage.status.s`…),
 * plus the partition column `dt`: what a query may name.
 */
export function declaredColumnPaths(): Set<string> {
  const paths = new Set<string>(['dt']);
  const walk = (prefix: string, field: SchemaField): void => {
    paths.add(prefix);
    if (typeof field === 'string') return;
    for (const [name, f] of Object.entries(field)) walk(`${prefix}.${name.toLowerCase()}`, f);
  };
  for (const [name, field] of Object.entries(CHANGE_RECORD_SCHEMA)) walk(name.toLowerCase(), field);
  return paths;
}

/** An attribute value in DynamoDB JSON (`{ "S": "…" }`, `{ "N": "12" }`, `{ "M": { … } }` …). */
export type AttributeValueJson = { S?: string; N?: string; BOOL?: boolean; NULL?: boolean; M?: Record<string, AttributeValueJson>; L?: AttributeValueJson[]; SS?: string[]; NS?: string[]; B?: string; BS?: string[] };

/** One change record as Firehose writes it (one line of an object under {@link METADATA_PREFIX}). */
export interface ChangeRecord {
  awsRegion: string;
  eventID: string;
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  userIdentity: { type: string; principalId: string } | null;
  recordFormat: 'application/json';
  tableName: string;
  dynamodb: {
    ApproximateCreationDateTime: number;
    ApproximateCreationDateTimePrecision: 'MILLISECOND';
    Keys: Record<string, AttributeValueJson>;
    NewImage?: Record<string, AttributeValueJson>;
    OldImage?: Record<string, AttributeValueJson>;
    SizeBytes: number;
  };
  eventSource: 'aws:dynamodb';
}

/**
 * The S3 key Firehose gives a delivered object: `metadata/dt=YYYY-MM-DD/<stream>-1-YYYY-MM-DD-HH-MM-SS-<id>.gz`
 * (prefix `metadata/dt=!{timestamp:yyyy-MM-dd}/`, GZIP compression).
 */
export function deliveryObjectKey(deliveryStream: string, at: Date, id: string): string {
  const iso = at.toISOString();
  const day = iso.slice(0, 10);
  const stamp = `${day}-${iso.slice(11, 13)}-${iso.slice(14, 16)}-${iso.slice(17, 19)}`;
  return `${METADATA_PREFIX}dt=${day}/${deliveryStream}-1-${stamp}-${id}.gz`;
}
