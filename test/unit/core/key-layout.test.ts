import { createHash } from 'node:crypto';
import { KEY_HASH_PREFIXES, KEY_PREFIXES, MAX_IMAGE_BYTES } from '../../../core/constants';
import { claimCheckKey, imageIdFromIncomingKey, incomingKey, keyHashPrefix, newImageId, rawKey, variantKey } from '../../../core/keys';

const ID = '0190a0b0-0000-7000-8000-000000000000';
/** SHA-256 of ID, worked out independently of keys.ts. */
const ID_HASH = createHash('sha256').update(ID).digest('hex').slice(0, 2);

describe('S3 key layout (core/keys.ts)', () => {
  it('keeps the design contract values of core/constants.ts', () => {
    expect(MAX_IMAGE_BYTES).toBe(10_485_760);
    expect(KEY_PREFIXES).toEqual({ raw: 'raw/', incoming: 'incoming/', claims: 'claims/', processed: 'processed/' });
    expect(KEY_HASH_PREFIXES).toBe(256);
  });

  it('puts two hex digits of SHA-256(imageId) before the id in raw and processed keys', () => {
    expect(keyHashPrefix(ID)).toMatch(/^[0-9a-f]{2}$/);
    expect(keyHashPrefix(ID)).toBe(ID_HASH);
    expect(rawKey(ID, new Date('2024-05-17T23:59:59.999Z'), 'jpg')).toBe(`raw/${ID_HASH}/2024/05/17/${ID}.jpg`);
    expect(rawKey(ID, new Date('2024-05-18T00:00:00Z'))).toBe(`raw/${ID_HASH}/2024/05/18/${ID}`);
    expect(variantKey(ID, 'thumbnail', 'jpg')).toBe(`processed/${ID_HASH}/${ID}/thumbnail.jpg`);
  });

  it('is stable: the same id always gives the same prefix, for every variant and day', () => {
    const first = keyHashPrefix(ID);
    expect(Array.from({ length: 5 }, () => keyHashPrefix(ID))).toEqual([first, first, first, first, first]);
    const prefixes = new Set(['thumbnail', 'medium', 'large', 'large-webp'].map((name) => variantKey(ID, name, 'jpg').split('/')[1]));
    expect([...prefixes]).toEqual([first]);
    expect(rawKey(ID, new Date('2024-01-01T00:00:00Z')).split('/')[1]).toBe(rawKey(ID, new Date('2025-12-31T00:00:00Z')).split('/')[1]);
  });

  it('spreads sequential UUIDv7 ids (one millisecond, counter in the random bits) evenly over the 256 prefixes', () => {
    const ids = Array.from({ length: 4096 }, (_, i) => uuidv7(Date.parse('2026-11-30T12:00:00Z'), i));
    expect(ids).toHaveLength(4096);
    expect(new Set(ids).size).toBe(4096);
    // All in one key range without the hash: they share their first 13 characters.
    expect(new Set(ids.map((id) => id.slice(0, 13))).size).toBe(1);
    const counts = countPrefixes(ids);
    // 16 per prefix on average: every prefix is used and none takes more than twice its share.
    expect(counts.size).toBe(256);
    expect(Math.max(...counts.values())).toBeLessThanOrEqual(32);
  });

  it('spreads ids a millisecond apart (a steady stream) over every prefix too', () => {
    const start = Date.parse('2026-11-30T12:00:00Z');
    const ids = Array.from({ length: 4096 }, (_, i) => uuidv7(start + i, 0));
    expect(ids).toHaveLength(4096);
    const counts = countPrefixes(ids);
    expect(counts.size).toBe(256);
    expect(Math.max(...counts.values())).toBeLessThanOrEqual(32);
  });

  it('gives newImageId the UUIDv7 shape the layout assumes', () => {
    const at = new Date('2026-11-30T12:00:00Z');
    const id = newImageId(at);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(id.replace(/-/g, '').slice(0, 12)).toBe(at.getTime().toString(16).padStart(12, '0'));
  });

  it('keeps incoming and claim-check keys unhashed: their readers match them by prefix', () => {
    expect(incomingKey(ID)).toBe(`incoming/${ID}`);
    expect(imageIdFromIncomingKey(incomingKey(ID))).toBe(ID);
    expect(imageIdFromIncomingKey(`incoming/${ID}/extra`)).toBeUndefined();
    expect(imageIdFromIncomingKey(`raw/${ID}`)).toBeUndefined();
    expect(imageIdFromIncomingKey('incoming/../x')).toBeUndefined();
    expect(claimCheckKey('acme', 'e-1')).toBe('claims/acme/e-1');
  });
});

/** A UUIDv7 with a given millisecond and a counter in its low random bits (RFC 9562 method 1). */
function uuidv7(ms: number, counter: number): string {
  const hex = ms.toString(16).padStart(12, '0') + '7000' + '8000' + counter.toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function countPrefixes(ids: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const id of ids) counts.set(keyHashPrefix(id), (counts.get(keyHashPrefix(id)) ?? 0) + 1);
  return counts;
}
