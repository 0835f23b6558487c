/**
 * Fault 2 of issue 12, first half: every caller-given field has a bound checked at the edge,
 * one rule on both paths, so the DynamoDB item and the SNS message stay well under their limits.
 */
import { InvalidParameterError, INPUT_BOUNDS, assertRequestBounds, generateApiKey, notificationBody, rawKey, variantKey, type ImageRecord } from '../../../core';
import { notificationIdFor } from '../../../core/runtime';

const ok = { customerId: 'acme-1', fileName: 'photo.jpg', attributes: { camera: 'x100' } };

describe('input bounds shared by the REST and stream paths', () => {
  const overBounds: [string, Parameters<typeof assertRequestBounds>[0], RegExp][] = [
    ['an empty customer id', { ...ok, customerId: '' }, /customerId/],
    ['a customer id of 65 characters', { ...ok, customerId: 'c'.repeat(65) }, /customerId/],
    ['a customer id with a slash', { ...ok, customerId: 'acme/../other' }, /customerId/],
    ['a customer id with spaces', { ...ok, customerId: 'acme corp' }, /customerId/],
    ['a file name of 256 characters', { ...ok, fileName: `${'a'.repeat(252)}.jpg` }, /fileName/],
    ['a file name of 256 four-byte emoji', { ...ok, fileName: '😀'.repeat(256) }, /fileName/],
    ['a file name with a newline', { ...ok, fileName: 'a\nb.jpg' }, /fileName/],
    ['a file name with a lone surrogate', { ...ok, fileName: 'a\uD800.jpg' }, /fileName/],
    ['51 attributes', { ...ok, attributes: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])) }, /attributes/],
    ['an attribute key of 129 bytes', { ...ok, attributes: { ['k'.repeat(129)]: 'v' } }, /attributes key/],
    ['an attribute value of 1025 bytes', { ...ok, attributes: { note: 'v'.repeat(1025) } }, /attributes\.note/],
    ['attributes of 420 KB (the reported event)', { ...ok, attributes: { blob: 'x'.repeat(420 * 1024) } }, /attributes/],
    ['attributes of 20 KB in 20 values of 1 KB', { ...ok, attributes: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, 'v'.repeat(1000)])) }, /at most 16384 UTF-8 bytes/],
  ];

  it.each(overBounds)('refuses %s with an InvalidParameterError naming the field', (_name, fields, parameter) => {
    expect(() => assertRequestBounds(fields)).toThrow(InvalidParameterError);
    expect(() => assertRequestBounds(fields)).toThrow(parameter);
  });

  it('accepts the largest values inside every bound, and file names in any script', () => {
    expect(() =>
      assertRequestBounds({
        customerId: `c${'x'.repeat(63)}`,
        fileName: '写真 фото 😀 ünï.jpg',
        attributes: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`.padEnd(24, '_'), 'v'.repeat(1000)])),
      }),
    ).not.toThrow();
    expect(() => assertRequestBounds({ customerId: 'c', fileName: '😀'.repeat(255) })).not.toThrow();
    expect(() => assertRequestBounds({ customerId: 'c', fileName: '写'.repeat(255) })).not.toThrow();
  });

  it('uses one customer id rule for API keys and events', () => {
    for (const customerId of ['', 'c'.repeat(65), 'a/b', '-leading', 'ünï']) {
      expect(() => generateApiKey(customerId)).toThrow(InvalidParameterError);
      expect(() => assertRequestBounds({ customerId })).toThrow(InvalidParameterError);
    }
    for (const customerId of ['a', 'acme-1', 'A.b_c', 'c'.repeat(64)]) {
      expect(() => generateApiKey(customerId)).not.toThrow();
      expect(() => assertRequestBounds({ customerId })).not.toThrow();
    }
  });

  it('keeps the largest record within bounds far under the DynamoDB item and SNS message limits', () => {
    const record: ImageRecord = {
      imageId: '0190a0b0-0000-7000-8000-000000000000',
      status: 'PROCESSED',
      source: 'kafka',
      customerId: 'c'.repeat(64),
      idempotencyKey: 'k'.repeat(255),
      fileName: '写'.repeat(INPUT_BOUNDS.fileNameMaxChars),
      format: 'jpeg',
      contentType: 'image/jpeg',
      width: 1,
      height: 1,
      bytes: 1,
      sha256: 'f'.repeat(64),
      raw: { bucket: 'b'.repeat(63), key: rawKey('i'.repeat(128), new Date('2024-01-01T00:00:00Z'), 'jpeg') },
      variants: Object.fromEntries(['thumbnail', 'medium', 'large', 'large-webp'].map((name) => [name, { key: variantKey('i'.repeat(128), name, 'webp'), format: 'webp', contentType: 'image/webp', width: 1600, height: 1600, bytes: 1e7 }])),
      attributes: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`.padEnd(24, '_'), '写'.repeat(333)])),
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
      expiresAt: 1,
    };
    expect(() => assertRequestBounds(record)).not.toThrow();
    const itemBytes = Buffer.byteLength(JSON.stringify(record));
    expect(itemBytes).toBeLessThan(40 * 1024); // DynamoDB: 400 KB per item
    const message = notificationBody({ type: 'image.processed', notificationId: notificationIdFor(record.imageId, 'image.processed'), record });
    expect(Buffer.byteLength(JSON.stringify(message))).toBeLessThan(64 * 1024); // SNS: 256 KB per message
  });
});
