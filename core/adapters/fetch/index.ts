/**
 * Safe download of images referenced by URL (the `ImageFetcher` port of `core/ports.ts`, used by the
 * source resolver on every path): https only, public addresses
 * only (checked inside each connection's DNS lookup and on every redirect hop), a byte cap
 * enforced while streaming, per-attempt timeouts, a total deadline and bounded retries.
 */
export { assertFetchableUrl, fetchImage, retryAfterMs, targetRefusal, DEFAULT_MAX_FETCH_BYTES } from './fetch-image';
export type { FetchImageOptions, FetchedImage, UrlAdmissionOptions } from './fetch-image';
export { classifyAddress, isForbiddenAddress } from './address-policy';
export type { AddressCategory, AddressClassification, AddressPolicyOptions, IPv4Embedding } from './address-policy';
export type { ResolveHostname, ResolvedAddress } from './guarded-lookup';
export { HttpsImageFetcher, type HttpsImageFetcherOptions } from './https-fetcher';
