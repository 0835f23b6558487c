import { InvalidParameterError } from '../../../core/errors';
import { buildMskEvent, decodeHeaders, encodeHeaders, parseMskEvent, topicPartitionKey } from '../../../stream-consumer';
import { mskEventOf, sampleMskEvent } from '../../helpers/msk-events';

describe('parseMskEvent', () => {
  it('decodes the AWS sample event: base64 key and value, byte-array headers, coordinates', () => {
    const event = sampleMskEvent();

    const [record, ...rest] = parseMskEvent(event);

    expect(rest).toEqual([]);
    expect(record).toMatchObject({ topic: 'mytopic', partition: 0, offset: 15, timestamp: 1545084650987 });
    expect(record?.value?.toString('utf8')).toBe('Hello, this is a test.');
    expect(record?.key?.toString('base64')).toBe(Buffer.from('abcDEFghiJKLmnoPQRstuVWXyz1234==', 'base64').toString('base64'));
    expect(record?.headers.headerKey?.toString('utf8')).toBe('headerValue');
  });

  it('orders records by topic-partition and offset, and keeps a missing value as null', () => {
    const event = mskEventOf([
      { topic: 't', partition: 1, offset: 7, value: Buffer.from('b') },
      { topic: 't', partition: 0, offset: 9, value: null },
      { topic: 't', partition: 0, offset: 3, value: Buffer.from('a') },
    ]);

    const records = parseMskEvent(event);

    expect(records.map((r) => `${r.partition}@${r.offset}`)).toEqual(['0@3', '0@9', '1@7']);
    expect(records[1]?.value).toBeNull();
  });

  it('refuses an event that is not from a Kafka source, naming the field', () => {
    const event = { ...sampleMskEvent(), eventSource: 'aws:sqs' } as unknown as Parameters<typeof parseMskEvent>[0];

    expect(() => parseMskEvent(event)).toThrow(InvalidParameterError);
    expect(() => parseMskEvent(event)).toThrow(/event\.eventSource/);
  });

  it('refuses a record whose offset is not an integer', () => {
    const event = sampleMskEvent();
    (event.records['mytopic-0']?.[0] as { offset: unknown }).offset = '15';

    expect(() => parseMskEvent(event)).toThrow(/Expected non-negative integer for event\.records\.mytopic-0\.offset/);
  });
});

describe('parseMskEvent in schema-registry mode', () => {
  function withMetadata(metadata: unknown): ReturnType<typeof sampleMskEvent> {
    const event = sampleMskEvent();
    Object.assign(Object.values(event.records)[0]?.[0] as object, { valueSchemaMetadata: metadata });
    return event;
  }

  it('keeps valueSchemaMetadata, which marks the value as JSON the mapping decoded', () => {
    const [record] = parseMskEvent(withMetadata({ dataFormat: 'AVRO', schemaId: '8d6f4f0e-3c2a-4b1d-9e8f-7a6b5c4d3e2f' }));
    expect(record?.valueSchemaMetadata).toEqual({ dataFormat: 'AVRO', schemaId: '8d6f4f0e-3c2a-4b1d-9e8f-7a6b5c4d3e2f' });
    expect(parseMskEvent(sampleMskEvent())[0]).not.toHaveProperty('valueSchemaMetadata');
  });

  it.each([['a string', 'AVRO'], ['a numeric schema id', { dataFormat: 'AVRO', schemaId: 7 }]])('refuses metadata that is %s', (_label, metadata) => {
    expect(() => parseMskEvent(withMetadata(metadata))).toThrow(InvalidParameterError);
  });
});

describe('headers', () => {
  it('round-trips through the MSK byte-array form', () => {
    const encoded = encodeHeaders({ 'x-a': 'héllo', 'x-b': Buffer.from([0, 255, 128]) });

    expect(encoded).toEqual([{ 'x-a': [...Buffer.from('héllo')] }, { 'x-b': [0, 255, 128] }]);
    expect(decodeHeaders(encoded)).toEqual({ 'x-a': Buffer.from('héllo'), 'x-b': Buffer.from([0, 255, 128]) });
  });

  it('reads signed bytes as Java clients serialise them', () => {
    expect(decodeHeaders([{ h: [-1, -128, 65] }]).h).toEqual(Buffer.from([255, 128, 65]));
  });

  it('refuses a header that is not bytes', () => {
    expect(() => decodeHeaders([{ h: [1, 300] }])).toThrow(/Expected array of bytes for headers\.h/);
  });
});

describe('buildMskEvent', () => {
  it('builds the documented shape that parseMskEvent reads back unchanged', () => {
    const records = [
      { topic: 'images', partition: 2, offset: '41', timestamp: '1700000000000', key: Buffer.from('k1'), value: Buffer.from([0xc3, 0x01, 9]), headers: { trace: Buffer.from('abc'), multi: ['x', 'y'] } },
      { topic: 'images', partition: 2, offset: '42', timestamp: '1700000000001', key: null, value: null },
    ];

    const event = buildMskEvent(records, { bootstrapServers: '127.0.0.1:9092' });

    expect(event.eventSource).toBe('aws:kafka');
    expect(event.bootstrapServers).toBe('127.0.0.1:9092');
    expect(Object.keys(event.records)).toEqual([topicPartitionKey('images', 2)]);
    const [first, second] = event.records['images-2'] ?? [];
    expect(first).toEqual({
      topic: 'images',
      partition: 2,
      offset: 41,
      timestamp: 1700000000000,
      timestampType: 'CREATE_TIME',
      key: Buffer.from('k1').toString('base64'),
      value: Buffer.from([0xc3, 0x01, 9]).toString('base64'),
      headers: [{ trace: [97, 98, 99] }, { multi: [121] }],
    });
    expect(second).not.toHaveProperty('value');
    expect(second).not.toHaveProperty('key');
    const parsed = parseMskEvent(event);
    expect(parsed.map((r) => [r.offset, r.value, r.key])).toEqual([
      [41, Buffer.from([0xc3, 0x01, 9]), Buffer.from('k1')],
      [42, null, null],
    ]);
  });

  it('refuses an offset that is not a decimal integer', () => {
    expect(() => buildMskEvent([{ topic: 't', partition: 0, offset: '1e3', timestamp: '0', key: null, value: null }])).toThrow(/record\.offset/);
  });
});
