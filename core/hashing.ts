import { createHash, webcrypto } from 'node:crypto';

/** SHA-256 of small bytes, hex, computed on the calling thread. */
export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * SHA-256 digest of image-sized bytes. WebCrypto hashes on the libuv pool, so a 10 MiB input
 * does not hold up the event loop (~25 ms on one core).
 */
export async function sha256Digest(bytes: Uint8Array): Promise<Buffer> {
  return Buffer.from(await webcrypto.subtle.digest('SHA-256', bytes));
}
