import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import { usageIdentifierKeyFor } from '../core/limits/usage-identifier';

/**
 * The execute-api ARNs an Allow covers: every method under `/v1` of the stage the request came
 * to. API Gateway caches the whole policy per identity (the Authorization header) for the result
 * TTL and reuses it on every route, so a policy naming only the called method would deny the
 * caller's next route from the cache (API Gateway Developer Guide, "Lambda authorizer caching").
 *
 * @param methodArn `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/{path}`.
 * @throws Error when `methodArn` is not an execute-api method ARN (an API Gateway bug: answered 500).
 * @example
 * apiResourcesFor('arn:aws:execute-api:eu-west-1:123456789012:abc123/v1/GET/v1/images');
 * // ['arn:aws:execute-api:eu-west-1:123456789012:abc123/v1/*\/v1', '…/v1/*\/v1/*']
 */
export function apiResourcesFor(methodArn: string): string[] {
  const match = /^(arn:[^:]+:execute-api:[^:]+:[^:]+:[^/]+\/[^/]+)\//.exec(methodArn);
  if (match === null) throw new Error(`not an execute-api method ARN: ${methodArn}`);
  const stage = match[1] as string;
  return [`${stage}/*/v1`, `${stage}/*/v1/*`];
}

/**
 * The REQUEST authorizer's answer for a customer: principal = customer id, an Allow on the API's
 * `/v1` methods, `context.customerId` (the ingest Lambda reads it as
 * `requestContext.authorizer.customerId`) and the customer's usage identifier, which binds the
 * request to the customer's usage plan when the API's key source is `AUTHORIZER`.
 */
export function allowPolicy(customerId: string, methodArn: string): APIGatewayAuthorizerResult {
  return {
    principalId: customerId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: apiResourcesFor(methodArn) }],
    },
    context: { customerId },
    usageIdentifierKey: usageIdentifierKeyFor(customerId),
  };
}
