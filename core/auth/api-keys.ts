import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { invalidParameterError } from '../errors';
import { assertCustomerIdBounds } from '../input-bounds';

/** One API key as stored in the secret: only its hash, and the customer it belongs to. */
export interface ApiKeyEntry {
  /** Hex SHA-256 of the key. Keys are 32 random bytes, so a plain hash is enough (no salt/KDF needed). */
  sha256: string;
  customerId: string;
  createdAt: string;
}

/** The JSON document held in the API-key secret. */
export interface ApiKeySecret {
  keys: ApiKeyEntry[];
}


/** Hex SHA-256 of an API key. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * Checks a customer id: 1–64 characters of letters, digits, `_`, `.` and `-`, starting with a
 * letter or digit (it becomes part of index keys and notification attributes).
 * @throws InvalidParameterError
 */
export function assertCustomerId(customerId: unknown): asserts customerId is string {
  // One rule for keys and events: the one in input-bounds.
  assertCustomerIdBounds(customerId);
}

/**
 * Makes a new key for a customer. The key is returned once; only its hash is stored.
 * @example
 * const { key, entry } = generateApiKey('acme');
 */
export function generateApiKey(customerId: string, now = new Date()): { key: string; entry: ApiKeyEntry } {
  assertCustomerId(customerId);
  const key = `ik_${randomBytes(32).toString('base64url')}`;
  return { key, entry: { sha256: hashApiKey(key), customerId, createdAt: now.toISOString() } };
}

/**
 * Parses the secret's JSON; an unreadable secret is a deployment bug, so it throws.
 * @throws InvalidParameterError when the document is not `{ keys: [...] }`.
 */
export function parseApiKeySecret(text: string | undefined): ApiKeySecret {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text ?? '');
  } catch {
    throw invalidParameterError('API key secret', 'a JSON document', text === undefined ? undefined : 'unparseable text');
  }
  const keys = (parsed as { keys?: unknown }).keys;
  if (!Array.isArray(keys)) throw invalidParameterError('API key secret', 'an object with a "keys" array', parsed);
  return {
    keys: keys.filter(
      (k): k is ApiKeyEntry => typeof k === 'object' && k !== null && typeof (k as ApiKeyEntry).sha256 === 'string' && typeof (k as ApiKeyEntry).customerId === 'string',
    ),
  };
}

/** The customer owning `key`, or undefined. Compares hashes in constant time. */
export function findCustomerForKey(secret: ApiKeySecret, key: string): string | undefined {
  const presented = Buffer.from(hashApiKey(key), 'hex');
  let match: string | undefined;
  for (const entry of secret.keys) {
    const stored = Buffer.from(entry.sha256, 'hex');
    if (stored.length === presented.length && timingSafeEqual(stored, presented)) match = entry.customerId;
  }
  return match;
}
