/**
 * Avro schema identity: the Parsing Canonical Form (PCF) and its CRC-64-AVRO (Rabin)
 * fingerprint, as the Avro specification defines them for single-object encoding.
 *
 * avsc's own `Type#fingerprint()` hashes avsc's JSON export with MD5 (or any node `crypto`
 * algorithm), which is neither the canonical form nor CRC-64-AVRO, so readers in other
 * languages would not recognise it. This module implements both from the specification.
 */
import { invalidParameterError } from '../core/errors';

/** A schema as parsed JSON: a type name, a union (array) or a type object. */
export type AvroSchema = string | readonly AvroSchema[] | { readonly [attribute: string]: unknown };

const PRIMITIVE_TYPES: ReadonlySet<string> = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);
const NAMED_TYPES: ReadonlySet<string> = new Set(['record', 'error', 'enum', 'fixed']);

interface CanonicalState {
  /** Full names of the named types already written: later occurrences are written as the name alone. */
  readonly defined: Set<string>;
}

function isSchemaObject(value: unknown): value is { readonly [attribute: string]: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fullNameOf(name: string, namespace: string): string {
  return name.includes('.') || namespace === '' ? name : `${namespace}.${name}`;
}

function namespaceOf(fullName: string): string {
  const lastDot = fullName.lastIndexOf('.');
  return lastDot === -1 ? '' : fullName.slice(0, lastDot);
}

/** A reference by name: the enclosing namespace first, then the null namespace (as Avro's Java parser does). */
function canonicalReference(name: string, namespace: string, state: CanonicalState): string {
  if (PRIMITIVE_TYPES.has(name)) return JSON.stringify(name);
  const qualified = fullNameOf(name, namespace);
  if (state.defined.has(qualified)) return JSON.stringify(qualified);
  if (state.defined.has(name)) return JSON.stringify(name);
  throw invalidParameterError('schema', 'a primitive type or the name of a type defined earlier in the schema', name);
}

function canonicalNamed(schema: { readonly [attribute: string]: unknown }, type: string, namespace: string, state: CanonicalState): string {
  const { name } = schema;
  if (typeof name !== 'string' || name === '') throw invalidParameterError(`schema name of a ${type}`, 'non-empty string', name);
  const explicitNamespace = schema['namespace'];
  const fullName = fullNameOf(name, typeof explicitNamespace === 'string' ? explicitNamespace : namespace);
  if (state.defined.has(fullName)) return JSON.stringify(fullName);
  // Registered before the fields are walked, so a recursive reference resolves to this type.
  state.defined.add(fullName);
  const head = `{"name":${JSON.stringify(fullName)},"type":${JSON.stringify(type === 'error' ? 'record' : type)}`;
  const innerNamespace = namespaceOf(fullName);

  if (type === 'enum') {
    const { symbols } = schema;
    if (!Array.isArray(symbols) || !symbols.every((symbol) => typeof symbol === 'string')) {
      throw invalidParameterError(`symbols of enum ${fullName}`, 'array of strings', symbols);
    }
    return `${head},"symbols":${JSON.stringify(symbols)}}`;
  }
  if (type === 'fixed') {
    const { size } = schema;
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) {
      throw invalidParameterError(`size of fixed ${fullName}`, 'non-negative integer', size);
    }
    return `${head},"size":${String(size)}}`;
  }
  const { fields } = schema;
  if (!Array.isArray(fields)) throw invalidParameterError(`fields of record ${fullName}`, 'array', fields);
  const canonicalFields = fields.map((field: unknown) => {
    if (!isSchemaObject(field) || typeof field['name'] !== 'string') {
      throw invalidParameterError(`a field of record ${fullName}`, 'object with a string name', field);
    }
    return `{"name":${JSON.stringify(field['name'])},"type":${canonicalize(field['type'] as AvroSchema, innerNamespace, state)}}`;
  });
  return `${head},"fields":[${canonicalFields.join(',')}]}`;
}

function canonicalize(schema: AvroSchema, namespace: string, state: CanonicalState): string {
  if (typeof schema === 'string') return canonicalReference(schema, namespace, state);
  if (Array.isArray(schema)) return `[${schema.map((branch: AvroSchema) => canonicalize(branch, namespace, state)).join(',')}]`;
  if (!isSchemaObject(schema)) throw invalidParameterError('schema', 'type name, union array or type object', schema);

  const { type } = schema;
  if (typeof type !== 'string') throw invalidParameterError('schema type', 'type name', type);
  // Every attribute but the type is stripped from a primitive, logicalType included: a
  // timestamp-millis is a long on the wire.
  if (PRIMITIVE_TYPES.has(type)) return JSON.stringify(type);
  if (NAMED_TYPES.has(type)) return canonicalNamed(schema, type, namespace, state);
  if (type === 'array') return `{"type":"array","items":${canonicalize(schema['items'] as AvroSchema, namespace, state)}}`;
  if (type === 'map') return `{"type":"map","values":${canonicalize(schema['values'] as AvroSchema, namespace, state)}}`;
  return canonicalReference(type, namespace, state);
}

/**
 * The schema's Parsing Canonical Form: full names, only the attributes that affect parsing,
 * in the specification's order, without whitespace.
 *
 * @throws InvalidParameterError when the schema is not a well-formed Avro schema.
 * @example
 * parsingCanonicalForm({ type: 'record', name: 'foo', namespace: 'x.y', doc: 'd', fields: [] });
 * // '{"name":"x.y.foo","type":"record","fields":[]}'
 */
export function parsingCanonicalForm(schema: AvroSchema): string {
  return canonicalize(schema, '', { defined: new Set() });
}

/** The CRC-64-AVRO polynomial's "empty" value, from the specification. */
const CRC64_AVRO_EMPTY = 0xc15d213aa4d7a795n;
const MASK_64 = 0xffffffffffffffffn;

const RABIN_TABLE: readonly bigint[] = Array.from({ length: 256 }, (_, index) => {
  let fingerprint = BigInt(index);
  for (let bit = 0; bit < 8; bit += 1) {
    fingerprint = (fingerprint >> 1n) ^ (CRC64_AVRO_EMPTY & -(fingerprint & 1n) & MASK_64);
  }
  return fingerprint;
});

/** CRC-64-AVRO of raw bytes, as an unsigned 64-bit value. */
function rabinFingerprint(bytes: Uint8Array): bigint {
  let fingerprint = CRC64_AVRO_EMPTY;
  for (const byte of bytes) {
    // RABIN_TABLE has 256 entries and the index is masked to 8 bits.
    fingerprint = (fingerprint >> 8n) ^ (RABIN_TABLE[Number((fingerprint ^ BigInt(byte)) & 0xffn)] as bigint);
  }
  return fingerprint;
}

/**
 * The schema's CRC-64-AVRO fingerprint of its Parsing Canonical Form, as the 8 little-endian
 * bytes single-object encoding puts on the wire. Read it as Java's `long` fingerprint with
 * `readBigInt64LE(0)`.
 *
 * Compute it once per schema: it walks the schema and hashes with BigInt arithmetic.
 *
 * @throws InvalidParameterError when the schema is not a well-formed Avro schema.
 * @example
 * fingerprintOf('int').readBigInt64LE(0); // 8247732601305521295n, as in Avro's own test suite
 */
export function fingerprintOf(schema: AvroSchema): Buffer {
  const fingerprint = rabinFingerprint(Buffer.from(parsingCanonicalForm(schema), 'utf8'));
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64LE(fingerprint);
  return bytes;
}
