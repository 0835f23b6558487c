/**
 * Keeps the TypeScript event types and the Avro schema from drifting apart.
 *
 * The chain: the compiler holds `IMAGE_EVENT_FIELDS` / `IMAGE_SOURCE_BRANCHES` to the `ImageEvent`
 * and `ImageSource` types (same keys, wire kinds and optionality, via `satisfies`), and this test
 * holds those mirrors to the `.avsc` file, field by field and union branch by branch.
 */
import type { AvroSchema } from '../../../schemas';
import { IMAGE_EVENT_FIELDS, IMAGE_SOURCE_BRANCHES } from '../../../schemas/image-event';
import { IMAGE_EVENT_V1_SCHEMA } from '../../../schemas/image-event.v1';
import { V1_AVSC, V2_AVSC } from '../../helpers/image-events';

interface FieldMirror {
  readonly wire: string;
  readonly optional: boolean;
}
type FieldsMirror = { readonly [field: string]: FieldMirror };
type BranchesMirror = { readonly [kind: string]: { readonly record: string; readonly fields: FieldsMirror } };

interface AvroField {
  name: string;
  type: unknown;
  default?: unknown;
}
interface AvroRecord {
  type: 'record';
  name: string;
  namespace?: string;
  fields: AvroField[];
}

function isRecord(type: unknown): type is AvroRecord {
  return typeof type === 'object' && type !== null && (type as { type?: unknown }).type === 'record';
}

function fullName(record: AvroRecord, enclosingNamespace: string): string {
  if (record.name.includes('.')) return record.name;
  const namespace = record.namespace ?? enclosingNamespace;
  return namespace === '' ? record.name : `${namespace}.${record.name}`;
}

/** The mirror's vocabulary for an Avro field type; anything else is described literally so it mismatches. */
function wireKindOf(type: unknown, namespace: string, branches: BranchesMirror, drift: string[]): string {
  if (type === 'string' || type === 'bytes') return type;
  if (typeof type === 'object' && type !== null && !Array.isArray(type)) {
    const { type: base, logicalType, values } = type as { type?: unknown; logicalType?: unknown; values?: unknown };
    // A uuid is a string in TypeScript; a timestamp-millis is a Date.
    if (base === 'string' && (logicalType === undefined || logicalType === 'uuid')) return 'string';
    if (base === 'long' && logicalType === 'timestamp-millis') return 'timestamp-millis';
    if (base === 'map' && values === 'string') return 'map<string>';
  }
  if (Array.isArray(type) && type.length > 0 && type.every(isRecord)) {
    compareBranches(type as AvroRecord[], namespace, branches, drift);
    return 'image-source';
  }
  return `unmapped ${JSON.stringify(type)}`;
}

function compareFields(avroFields: AvroField[], mirror: FieldsMirror, where: string, namespace: string, branches: BranchesMirror, drift: string[]): void {
  const avroNames = avroFields.map((field) => field.name);
  for (const name of avroNames.filter((candidate) => !(candidate in mirror))) drift.push(`${where}: Avro field ${name} has no TypeScript property`);
  for (const name of Object.keys(mirror).filter((candidate) => !avroNames.includes(candidate))) drift.push(`${where}: TypeScript property ${name} has no Avro field`);

  for (const field of avroFields) {
    const expected = mirror[field.name];
    if (expected === undefined) continue;
    const nullable = Array.isArray(field.type) && field.type.length === 2 && field.type[0] === 'null';
    const valueType: unknown = nullable ? (field.type as unknown[])[1] : field.type;
    const wire = wireKindOf(valueType, namespace, branches, drift);
    if (wire !== expected.wire) drift.push(`${where}.${field.name}: Avro ${wire}, TypeScript ${expected.wire}`);
    if (nullable !== expected.optional) drift.push(`${where}.${field.name}: Avro ${nullable ? 'nullable' : 'required'}, TypeScript ${expected.optional ? 'optional' : 'required'}`);
    // Optional only works across versions when a writer without the field still yields null.
    if (nullable && field.default !== null) drift.push(`${where}.${field.name}: nullable without default null`);
  }
}

function compareBranches(records: AvroRecord[], namespace: string, branches: BranchesMirror, drift: string[]): void {
  const byName = new Map(records.map((record) => [fullName(record, namespace), record]));
  const mirrored = new Map(Object.entries(branches).map(([kind, branch]) => [branch.record, { kind, branch }]));
  for (const name of byName.keys()) if (!mirrored.has(name)) drift.push(`image: Avro branch ${name} has no ImageSource kind`);
  for (const [name, { kind }] of mirrored) if (!byName.has(name)) drift.push(`image: ImageSource kind ${kind} has no Avro branch ${name}`);
  for (const [name, record] of byName) {
    const mirror = mirrored.get(name);
    if (mirror !== undefined) compareFields(record.fields, mirror.branch.fields, `image(${mirror.kind})`, name.slice(0, name.lastIndexOf('.')), branches, drift);
  }
}

/** Every difference between an image event schema and the TypeScript mirrors; empty when they agree. */
function driftBetween(schema: AvroSchema, fields: FieldsMirror = IMAGE_EVENT_FIELDS, branches: BranchesMirror = IMAGE_SOURCE_BRANCHES): string[] {
  if (!isRecord(schema)) return ['schema is not a record'];
  const drift: string[] = [];
  const name = fullName(schema, '');
  compareFields(schema.fields, fields, 'ImageEvent', name.slice(0, name.lastIndexOf('.')), branches, drift);
  return drift;
}

function mutate(schema: AvroSchema, change: (copy: AvroRecord) => void): AvroSchema {
  const copy = JSON.parse(JSON.stringify(schema)) as AvroRecord;
  change(copy);
  return copy as unknown as AvroSchema;
}

function imageBranches(record: AvroRecord): AvroRecord[] {
  return record.fields.find((field) => field.name === 'image')?.type as AvroRecord[];
}

describe('ImageEvent TypeScript types vs image-event.v1.avsc', () => {
  it('embeds exactly the .avsc file, so compiled code and other-language producers share one schema', () => {
    expect(IMAGE_EVENT_V1_SCHEMA).toEqual(V1_AVSC);
  });

  it('has one TypeScript property per Avro field, with the same kind and optionality, in every union branch', () => {
    expect(driftBetween(V1_AVSC)).toEqual([]);
  });

  it('reports a field added to the schema without a TypeScript property', () => {
    expect(driftBetween(V2_AVSC)).toEqual(['ImageEvent: Avro field priority has no TypeScript property']);
  });

  it('reports a field removed, retyped or made required in the schema', () => {
    const changed = mutate(V1_AVSC, (record) => {
      record.fields = record.fields.filter((field) => field.name !== 'contentType');
      const occurredAt = record.fields.find((field) => field.name === 'occurredAt');
      if (occurredAt) occurredAt.type = 'long';
      const fileName = record.fields.find((field) => field.name === 'fileName');
      if (fileName) fileName.type = 'string';
    });

    expect(driftBetween(changed)).toEqual([
      'ImageEvent: TypeScript property contentType has no Avro field',
      'ImageEvent.occurredAt: Avro unmapped "long", TypeScript timestamp-millis',
      'ImageEvent.fileName: Avro required, TypeScript optional',
    ]);
  });

  it('reports union branches added, renamed or changed', () => {
    const changed = mutate(V1_AVSC, (record) => {
      const branches = imageBranches(record);
      branches.push({ type: 'record', name: 'GcsImageRef', fields: [{ name: 'uri', type: 'string' }] });
      const url = branches.find((branch) => branch.name === 'UrlImageRef');
      if (url) url.name = 'HttpImageRef';
      const s3 = branches.find((branch) => branch.name === 'S3ImageRef');
      if (s3) s3.fields.push({ name: 'region', type: 'string' });
    });

    expect(driftBetween(changed)).toEqual([
      'image: Avro branch imagepipeline.events.HttpImageRef has no ImageSource kind',
      'image: Avro branch imagepipeline.events.GcsImageRef has no ImageSource kind',
      'image: ImageSource kind url has no Avro branch imagepipeline.events.UrlImageRef',
      'image(s3): Avro field region has no TypeScript property',
    ]);
  });
});
