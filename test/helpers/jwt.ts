import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** The claims part of a JWT, decoded (no verification: tests only read what a server issued). */
export function jwtClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** An RSA private key as only its modulus and private exponent (moto's JWK has no CRT parameters, which Node's importer needs). */
export interface BareRsaKey {
  n: bigint;
  d: bigint;
  bytes: number;
}

const bigintOf = (base64url: string): bigint => BigInt(`0x${Buffer.from(base64url, 'base64url').toString('hex')}`);

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
  }
  return result;
}

/** RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 §8.2, the RS256 of RFC 7518 §3.3) computed with the bare key. */
function signWithBareKey(data: Buffer, key: BareRsaKey): Buffer {
  const digestInfo = Buffer.concat([Buffer.from('3031300d060960864801650304020105000420', 'hex'), createHash('sha256').update(data).digest()]);
  const encoded = Buffer.concat([Buffer.from([0, 1]), Buffer.alloc(key.bytes - digestInfo.length - 3, 0xff), Buffer.from([0]), digestInfo]);
  const signature = modPow(BigInt(`0x${encoded.toString('hex')}`), key.d, key.n).toString(16).padStart(key.bytes * 2, '0');
  return Buffer.from(signature, 'hex');
}

/** An RS256 JWS compact token over `claims`, signed with `key`, with `kid` in its header. */
export function signRs256(claims: Record<string, unknown>, key: KeyObject | BareRsaKey, kid: string): string {
  const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid })).toString('base64url');
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const input = Buffer.from(`${header}.${payload}`);
  const signature = 'd' in key && typeof key.d === 'bigint' ? signWithBareKey(input, key) : sign('sha256', input, key as KeyObject);
  return `${header}.${payload}.${signature.toString('base64url')}`;
}

/** A fresh RSA key pair: its private key and its public JWK (with `kid`, `alg`, `use`) for a JWKS. */
export function freshRsaKey(kid: string): { privateKey: KeyObject; jwk: { kty: string; n: string; e: string; kid: string; alg: string; use: string } } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const { n, e } = publicKey.export({ format: 'jwk' });
  return { privateKey, jwk: { kty: 'RSA', n: n as string, e: e as string, kid, alg: 'RS256', use: 'sig' } };
}

/**
 * The private key moto signs every user pool's tokens with (it ships it in its package,
 * `moto/cognitoidp/resources/jwks-private.json.gz`, and publishes the public half as each pool's
 * JWKS), read from the local stack's moto virtualenv, and its `kid`.
 * @throws Error when the virtualenv under `localDataDir` has no moto.
 */
export function motoSigningKey(localDataDir: string): { privateKey: BareRsaKey; kid: string } {
  const lib = join(localDataDir, 'moto-venv', 'lib');
  for (const python of existsSync(lib) ? readdirSync(lib) : []) {
    const file = join(lib, python, 'site-packages', 'moto', 'cognitoidp', 'resources', 'jwks-private.json.gz');
    if (!existsSync(file)) continue;
    const jwk = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as { n: string; d: string; kid: string };
    return { privateKey: { n: bigintOf(jwk.n), d: bigintOf(jwk.d), bytes: Buffer.from(jwk.n, 'base64url').length }, kid: jwk.kid };
  }
  throw new Error(`no moto cognitoidp signing key under ${lib}`);
}
