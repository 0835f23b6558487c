import { createHash } from 'node:crypto';

/**
 * The API Gateway API key value that binds a customer to a usage plan: what the Lambda REQUEST
 * authorizer returns as `usageIdentifierKey` when the REST API's API key source is `AUTHORIZER`
 * (API Gateway Developer Guide, "Choose an API key source": the authorizer's response carries
 * the key; the client never sends it). It is an identifier, not a credential — callers cannot
 * present it under the `AUTHORIZER` source — so it is derived from the customer id: 64 lower-case
 * hex characters, inside API Gateway's 20–128 character range for key values.
 *
 * @param customerId a customer id already checked by `assertCustomerIdBounds`.
 * @returns the hex SHA-256 of `image-ingest usage identifier:` + the customer id.
 * @example
 * usageIdentifierKeyFor('acme'); // '5c1f…' (64 hex characters, the same on every call)
 */
export function usageIdentifierKeyFor(customerId: string): string {
  return createHash('sha256').update(`image-ingest usage identifier:${customerId}`, 'utf8').digest('hex');
}
