import { randomBytes } from 'node:crypto';
import { SchemaDecodeError } from '../../../core/errors';
import { SINGLE_OBJECT_MAGIC } from '../../../schemas';
import { assertSingleObjectHeader, frameSingleObject } from '../../../schemas/framing/single-object';

function reasonOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (error instanceof SchemaDecodeError) return error.reason;
    throw error;
  }
  throw new Error('expected a SchemaDecodeError, nothing was thrown');
}

describe('single-object framing', () => {
  it('lays out C3 01, the fingerprint as given, then the body', () => {
    const fingerprint = Buffer.from('0123456789abcdef', 'hex');
    const body = randomBytes(5);

    const message = frameSingleObject(fingerprint, body);

    expect([...SINGLE_OBJECT_MAGIC]).toEqual([0xc3, 0x01]);
    expect(message.subarray(0, 2).toString('hex')).toBe('c301');
    expect(message.subarray(2, 10).toString('hex')).toBe('0123456789abcdef');
    expect(message.subarray(10).equals(body)).toBe(true);
    expect(() => assertSingleObjectHeader(message)).not.toThrow();
  });

  it('refuses a fingerprint that is not 8 bytes', () => {
    expect(() => frameSingleObject(Buffer.alloc(4), Buffer.alloc(0))).toThrow(RangeError);
  });

  it.each([
    ['JSON', Buffer.from('{"eventId":"x"}')],
    ['Confluent framing (magic 0 + schema id)', Buffer.from([0x00, 0x00, 0x00, 0x00, 0x2a, 0x02, 0x04, 0x06, 0x08, 0x0a, 0x0c])],
    ['a wrong second byte', Buffer.from([0xc3, 0x02, 1, 2, 3, 4, 5, 6, 7, 8, 9])],
    ['a single wrong byte', Buffer.from([0x7b])],
  ])('reports bad-magic for %s', (_label, message) => {
    expect(reasonOf(() => assertSingleObjectHeader(message))).toBe('bad-magic');
  });

  it('reports truncated for every length shorter than the header when the bytes present are right', () => {
    const header = frameSingleObject(randomBytes(8), Buffer.alloc(0));

    const reasons = Array.from({ length: 10 }, (_, length) => reasonOf(() => assertSingleObjectHeader(header.subarray(0, length))));

    expect(reasons).toEqual(Array.from({ length: 10 }, () => 'truncated'));
  });
});
