import { Type } from 'avsc';
import { InvalidParameterError } from '../../../core/errors';
import { IMAGE_EVENT_SCHEMA, fingerprintOf, parsingCanonicalForm } from '../../../schemas';
import type { AvroSchema } from '../../../schemas';
import { V1_AVSC, V2_AVSC } from '../../helpers/image-events';

/**
 * Vectors from the Avro project's shared test data (share/test/data/schema-tests.txt), which
 * every Avro implementation checks against; fingerprints are Java's signed 64-bit values.
 */
const AVRO_SPEC_VECTORS: ReadonlyArray<{ input: string; canonical: string; fingerprint: bigint }> = [
  { input: '"null"', canonical: '"null"', fingerprint: 7195948357588979594n },
  { input: '{"type":"boolean"}', canonical: '"boolean"', fingerprint: -6970731678124411036n },
  { input: '"int"', canonical: '"int"', fingerprint: 8247732601305521295n },
  { input: '{"type":"long"}', canonical: '"long"', fingerprint: -3434872931120570953n },
  { input: '"bytes"', canonical: '"bytes"', fingerprint: 5746618253357095269n },
  { input: '"string"', canonical: '"string"', fingerprint: -8142146995180207161n },
  { input: '[  ]', canonical: '[]', fingerprint: -1241056759729112623n },
  { input: '[ "int" , {"type":"boolean"} ]', canonical: '["int","boolean"]', fingerprint: 5392556393470105090n },
  { input: '{"fields":[], "type":"record", "name":"foo", "namespace":"x.y"}', canonical: '{"name":"x.y.foo","type":"record","fields":[]}', fingerprint: 5916914534497305771n },
  { input: '{"fields":[], "type":"record", "name":"a.b.foo", "namespace":"x.y"}', canonical: '{"name":"a.b.foo","type":"record","fields":[]}', fingerprint: -4616218487480524110n },
  {
    input: '{"fields":[], "type":"record", "name":"foo", "doc":"foo", "aliases":["foo","bar"]}',
    canonical: '{"name":"foo","type":"record","fields":[]}',
    fingerprint: -4824392279771201922n,
  },
  {
    input:
      '{ "fields":[{"type":"boolean", "aliases":[], "name":"f1", "default":"true"}, {"order":"descending","name":"f2","doc":"Hello","type":"int"}], "type":"record", "name":"foo" }',
    canonical: '{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"},{"name":"f2","type":"int"}]}',
    fingerprint: -4860222112080293046n,
  },
  {
    input: '{"namespace":"x.y.z", "type":"enum", "name":"foo", "doc":"foo bar", "symbols":["A1", "A2"]}',
    canonical: '{"name":"x.y.z.foo","type":"enum","symbols":["A1","A2"]}',
    fingerprint: -4448647247586288245n,
  },
  { input: '{"namespace":"x.y.z", "type":"fixed", "name":"foo", "doc":"foo bar", "size":32}', canonical: '{"name":"x.y.z.foo","type":"fixed","size":32}', fingerprint: -3064184465700546786n },
  { input: '{ "items":{"type":"null"}, "type":"array"}', canonical: '{"type":"array","items":"null"}', fingerprint: -589620603366471059n },
  { input: '{ "values":"string", "type":"map"}', canonical: '{"type":"map","values":"string"}', fingerprint: -8732877298790414990n },
  {
    input: '{"name":"PigValue","type":"record", "fields":[{"name":"value", "type":["null", "int", "long", "PigValue"]}]}',
    canonical: '{"name":"PigValue","type":"record","fields":[{"name":"value","type":["null","int","long","PigValue"]}]}',
    fingerprint: -1759257747318642341n,
  },
];

describe('parsingCanonicalForm and fingerprintOf', () => {
  it.each(AVRO_SPEC_VECTORS)('matches the Avro test vector for $input', ({ input, canonical, fingerprint }) => {
    const schema = JSON.parse(input) as AvroSchema;

    const actualCanonical = parsingCanonicalForm(schema);
    const actualFingerprint = fingerprintOf(schema);

    expect(actualCanonical).toBe(canonical);
    expect(actualFingerprint).toHaveLength(8);
    // Single-object encoding writes Java's long fingerprint little-endian.
    expect(actualFingerprint.readBigInt64LE(0)).toBe(fingerprint);
  });

  it('strips logical types, docs and defaults, which do not change how bytes parse', () => {
    const annotated: AvroSchema = {
      type: 'record',
      name: 'Stamp',
      namespace: 'a.b',
      doc: 'with extras',
      fields: [
        { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' }, default: 0, doc: 'when' },
        { name: 'id', type: { type: 'string', logicalType: 'uuid' } },
      ],
    };
    const plain: AvroSchema = { type: 'record', name: 'a.b.Stamp', fields: [{ name: 'at', type: 'long' }, { name: 'id', type: 'string' }] };

    expect(parsingCanonicalForm(annotated)).toBe('{"name":"a.b.Stamp","type":"record","fields":[{"name":"at","type":"long"},{"name":"id","type":"string"}]}');
    expect(fingerprintOf(annotated).equals(fingerprintOf(plain))).toBe(true);
  });

  it('qualifies nested named types with the enclosing namespace and writes repeats as names', () => {
    const schema: AvroSchema = {
      type: 'record',
      name: 'Outer',
      namespace: 'n.s',
      fields: [
        { name: 'first', type: { type: 'fixed', name: 'Hash', size: 4 } },
        { name: 'second', type: 'Hash' },
        { name: 'third', type: { type: 'enum', name: 'other.Colour', symbols: ['RED'] } },
        { name: 'fourth', type: { type: 'array', items: 'other.Colour' } },
      ],
    };

    expect(parsingCanonicalForm(schema)).toBe(
      '{"name":"n.s.Outer","type":"record","fields":[' +
        '{"name":"first","type":{"name":"n.s.Hash","type":"fixed","size":4}},' +
        '{"name":"second","type":"n.s.Hash"},' +
        '{"name":"third","type":{"name":"other.Colour","type":"enum","symbols":["RED"]}},' +
        '{"name":"fourth","type":{"type":"array","items":"other.Colour"}}]}',
    );
  });

  it('rejects a reference to a type that was never defined', () => {
    const schema: AvroSchema = { type: 'record', name: 'R', fields: [{ name: 'f', type: 'Missing' }] };

    expect(() => fingerprintOf(schema)).toThrow(InvalidParameterError);
    expect(() => fingerprintOf(schema)).toThrow(/Missing/);
  });

  it('agrees with the canonical form of the same schema re-exported by avsc', () => {
    // avsc's export qualifies names and drops docs, a different path to the same canonical form.
    const exported = Type.forSchema(V1_AVSC as Parameters<typeof Type.forSchema>[0]).schema() as AvroSchema;

    expect(parsingCanonicalForm(exported)).toBe(parsingCanonicalForm(V1_AVSC));
  });

  it('gives v1 and v2 of the image event different fingerprints, and the product schema the v1 one', () => {
    const v1 = fingerprintOf(V1_AVSC).toString('hex');
    const v2 = fingerprintOf(V2_AVSC).toString('hex');

    expect(v1).not.toBe(v2);
    expect(fingerprintOf(IMAGE_EVENT_SCHEMA).toString('hex')).toBe(v1);
  });
});
