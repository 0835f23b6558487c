import { JwtVerifier } from 'aws-jwt-verify';
import { validateCognitoJwtFields } from 'aws-jwt-verify/cognito-verifier';
import {
  CognitoJwtInvalidClientIdError,
  CognitoJwtInvalidTokenUseError,
  FetchError,
  JwksValidationError,
  JwkValidationError,
  JwtBaseError,
  JwtExpiredError,
  JwtInvalidAudienceError,
  JwtInvalidIssuerError,
  JwtInvalidSignatureAlgorithmError,
  JwtInvalidSignatureError,
  JwtNotBeforeError,
  JwtParseError,
  JwtWithoutValidKidError,
  KidNotFoundInJwksError,
} from 'aws-jwt-verify/error';
import type { Fetcher } from 'aws-jwt-verify/https';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import { DependencyError, UnauthorizedError, type SignInConfig } from '../core';
import type { IdTokenVerifier } from './authorize';

/** Options of {@link CognitoIdTokenVerifier}. */
export interface CognitoIdTokenVerifierOptions {
  /**
   * Seconds of clock difference allowed on `exp`/`nbf`.
   * @default 0
   */
  graceSeconds?: number;
  /**
   * How the JWKS is downloaded. aws-jwt-verify's own fetcher speaks HTTPS only, so an `http://`
   * JWKS URI (moto on the local stack) gets a fetcher built on Node's `fetch`.
   * @default aws-jwt-verify's HTTPS fetcher, or the `fetch` one for http:// URIs
   */
  fetcher?: Fetcher;
}

/** The `fetch`-based JWKS fetcher for an http:// JWKS URI (the local stack's moto). */
export const plainHttpFetcher: Fetcher = {
  async fetch(uri: string): Promise<ArrayBuffer> {
    const response = await fetch(uri, { signal: AbortSignal.timeout(3000) });
    if (response.status !== 200) throw new FetchError(uri, `Status code is ${response.status}, expected 200`);
    return response.arrayBuffer();
  },
};

/** Turns aws-jwt-verify's error classes into the reason a caller is told. */
function refusal(error: unknown): Error {
  const reason = (message: string): UnauthorizedError => new UnauthorizedError(message, { cause: error });
  // Order matters: the claim errors share a base class; signature errors come before generic ones.
  if (error instanceof JwtExpiredError) return reason('the token has expired: sign in again');
  if (error instanceof JwtNotBeforeError) return reason('the token is not valid yet');
  if (error instanceof JwtInvalidIssuerError) return reason("the token was not issued by this API's user pool");
  if (error instanceof JwtInvalidAudienceError || error instanceof CognitoJwtInvalidClientIdError) return reason("the token was not issued for this API's app client");
  if (error instanceof CognitoJwtInvalidTokenUseError) return reason('the token is not an ID token (token_use must be "id")');
  if (
    error instanceof JwtInvalidSignatureError ||
    error instanceof JwtInvalidSignatureAlgorithmError ||
    error instanceof KidNotFoundInJwksError ||
    error instanceof JwtWithoutValidKidError
  ) {
    return reason("the token's signature does not verify with the user pool's keys");
  }
  if (error instanceof JwtParseError) return reason('the token is not a well-formed JWT');
  // The user pool's keys could not be fetched or read: our problem, not the caller's.
  if (error instanceof FetchError || error instanceof JwksValidationError || error instanceof JwkValidationError) {
    return new DependencyError('Cognito', `the user pool's JWKS could not be read: ${(error as Error).message}`, { cause: error });
  }
  if (error instanceof JwtBaseError) return reason('the token is not valid');
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Verifies Cognito ID tokens with aws-jwt-verify (AWS's library): RS256 signature against the user
 * pool's JWKS (fetched once, cached, re-fetched for an unknown `kid`), `exp`, `iss` = the pool,
 * `aud` = the app client, `token_use` = `id`. It uses the library's generic `JwtVerifier` with
 * Cognito's own field check because `CognitoJwtVerifier` derives the JWKS URI from the pool id and
 * cannot point at moto; the checks are the same.
 *
 * @example
 * const verifier = new CognitoIdTokenVerifier(config.auth.signIn);
 * const claims = await verifier.verify(token);
 */
export class CognitoIdTokenVerifier implements IdTokenVerifier {
  private readonly verifier;

  constructor(signIn: SignInConfig, options: CognitoIdTokenVerifierOptions = {}) {
    const fetcher = options.fetcher ?? (signIn.jwksUri.startsWith('http://') ? plainHttpFetcher : undefined);
    this.verifier = JwtVerifier.create(
      {
        issuer: signIn.issuer,
        audience: signIn.clientId,
        jwksUri: signIn.jwksUri,
        graceSeconds: options.graceSeconds ?? 0,
        customJwtCheck: ({ payload }) => validateCognitoJwtFields(payload, { tokenUse: 'id', clientId: signIn.clientId }),
      },
      fetcher === undefined ? undefined : { jwksCache: new SimpleJwksCache({ fetcher }) },
    );
  }

  /**
   * The token's claims once every check passes.
   * @throws UnauthorizedError naming the failed check.
   * @throws DependencyError when the JWKS cannot be fetched.
   */
  async verify(token: string): Promise<Readonly<Record<string, unknown>>> {
    try {
      return (await this.verifier.verify(token)) as Readonly<Record<string, unknown>>;
    } catch (error) {
      throw refusal(error);
    }
  }

  /** Loads a JWKS into the cache without fetching it (tests; or a pre-fetched JWKS). */
  cacheJwks(jwks: Parameters<(typeof this.verifier)['cacheJwks']>[0]): void {
    this.verifier.cacheJwks(jwks);
  }
}
