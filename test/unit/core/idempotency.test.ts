/**
 * The refusal of a reused id speaks the caller's path: a REST client reused an Idempotency-Key,
 * a Kafka producer an eventId; neither is told about the other's concept.
 */
import { IdempotencyKeyReusedError, assertSameRequest, type ImageRecord, type ImageSource } from '../../../core';

function record(source: ImageSource): ImageRecord {
  const now = '2026-11-30T12:00:00.000Z';
  return {
    imageId: '0190a0b0-0000-7000-8000-000000000001', status: 'PROCESSED', source, customerId: 'acme', idempotencyKey: 'k-1', fileName: 'cat.jpg',
    bytes: 3, sha256: 'a'.repeat(64), raw: { bucket: 'raw', key: 'raw/x.jpg' }, createdAt: now, updatedAt: now, expiresAt: 1_800_000_000,
  };
}

it.each([
  ['api', 'image 0190a0b0-0000-7000-8000-000000000001 was first requested with another fileName: a replay must repeat the first request unchanged; use a new Idempotency-Key for a new image'],
  ['kafka', 'image 0190a0b0-0000-7000-8000-000000000001 was first requested with another fileName: a replay must repeat the first request unchanged; use a new eventId for a new image'],
] as const)('a %s record reused with another file name: the refusal names the id that path uses', (source, message) => {
  const reuse = (): void => assertSameRequest(record(source), { customerId: 'acme', idempotencyKey: 'k-1', fileName: 'dog.jpg', sha256: 'a'.repeat(64) });
  expect(reuse).toThrow(IdempotencyKeyReusedError);
  expect(reuse).toThrow(message);
});

it('the same request passes', () => {
  expect(() => assertSameRequest(record('api'), { customerId: 'acme', idempotencyKey: 'k-1', fileName: 'cat.jpg', sha256: 'a'.repeat(64) })).not.toThrow();
});
