import { Construct } from 'constructs';
import { ApiGatewayApiKey } from '@cdktn/provider-aws/lib/api-gateway-api-key';
import { ApiGatewayGatewayResponse } from '@cdktn/provider-aws/lib/api-gateway-gateway-response';
import type { ApiGatewayRestApi } from '@cdktn/provider-aws/lib/api-gateway-rest-api';
import type { ApiGatewayStage } from '@cdktn/provider-aws/lib/api-gateway-stage';
import { ApiGatewayUsagePlan } from '@cdktn/provider-aws/lib/api-gateway-usage-plan';
import { ApiGatewayUsagePlanKey } from '@cdktn/provider-aws/lib/api-gateway-usage-plan-key';
import { ERROR_CODES } from '../../core/errors';
import type { CustomerLimits } from '../../core/limits/settings';
import { usagePlanKeyName } from '../../core/limits/settings';
import { usageIdentifierKeyFor } from '../../core/limits/usage-identifier';
import { problemType } from '../../ingest-api/problem';
import { customerLimitsConfig } from '../props';
import type { StackContext } from './context';

/**
 * `Retry-After` of API Gateway's own 429s. A gateway response is a static template: it cannot
 * count seconds to the next token or to 00:00 UTC as the local limiter does, so it sends a
 * fixed hint — 1 s for the rate (a token comes back within 1/rate s at the default 20/s), one
 * hour for the quota (it resets at 00:00 UTC; clients that know the reset time may wait longer).
 */
export const GATEWAY_RETRY_AFTER_SECONDS = { THROTTLED: 1, QUOTA_EXCEEDED: 3600 } as const;

/** The gateway response types API Gateway answers 429 with when a usage plan refuses a request. */
export const LIMIT_GATEWAY_RESPONSE_TYPES = ['THROTTLED', 'QUOTA_EXCEEDED'] as const;

/** The problem+json body of each 429 gateway response: the same type, title and code the local limiter answers. */
export function limitProblemTemplate(responseType: (typeof LIMIT_GATEWAY_RESPONSE_TYPES)[number]): string {
  const code = responseType === 'THROTTLED' ? ERROR_CODES.rateLimited : ERROR_CODES.quotaExceeded;
  const detail = responseType === 'THROTTLED' ? 'too many requests for this customer: retry later' : 'the daily request quota of this customer is used up; it resets at 00:00 UTC';
  return JSON.stringify({ type: problemType(code), title: 'Too Many Requests', status: 429, detail, code });
}

/**
 * The THROTTLED and QUOTA_EXCEEDED gateway responses: 429, `application/problem+json` with the
 * error code the local adapter answers, `X-Request-Id`, a static `Retry-After`, and the same CORS
 * headers as the other gateway responses (so a page can read them). Made inside the Api construct,
 * before its deployment, because a gateway response only takes effect once deployed.
 * @param corsParameters `gatewayResponseCorsParameters(...)` of the API.
 */
export function limitGatewayResponses(scope: Construct, restApiId: string, corsParameters: Record<string, string>): ApiGatewayGatewayResponse[] {
  return LIMIT_GATEWAY_RESPONSE_TYPES.map(
    (responseType) =>
      new ApiGatewayGatewayResponse(scope, `gateway-response-${responseType.toLowerCase().replace('_', '-')}`, {
        restApiId,
        responseType,
        statusCode: '429',
        responseTemplates: { 'application/json': limitProblemTemplate(responseType) },
        responseParameters: {
          ...corsParameters,
          'gatewayresponse.header.Content-Type': "'application/problem+json'",
          'gatewayresponse.header.Retry-After': `'${GATEWAY_RETRY_AFTER_SECONDS[responseType]}'`,
          'gatewayresponse.header.X-Request-Id': 'context.requestId',
        },
      }),
  );
}

/** One override customer's plan, API key and plan key. */
export interface CustomerUsagePlan {
  limits: CustomerLimits;
  plan: ApiGatewayUsagePlan;
  apiKey: ApiGatewayApiKey;
  planKey: ApiGatewayUsagePlanKey;
}

function planSettings(limits: CustomerLimits) {
  return {
    throttleSettings: { rateLimit: limits.ratePerSecond, burstLimit: limits.burst },
    // DAY: the quota resets at 00:00 UTC, as the local limiter's does.
    quotaSettings: { limit: limits.dailyQuota, period: 'DAY' },
  };
}

/**
 * Per-customer limits on AWS (docs/limits.md): the default usage plan (every customer without
 * an override, enrolled by `ingest keys create` through its `default_usage_plan_id`), and for each
 * override customer its own plan, its API Gateway API key whose value is
 * `usageIdentifierKeyFor(customerId)` — what the Lambda authorizer returns as
 * `usageIdentifierKey` for both API-key and JWT callers of that customer under API key source
 * `AUTHORIZER` — and the usage-plan key binding the two. The numbers are the props'
 * `api.customerLimits`, checked with the runtime's parser.
 */
export class UsagePlans extends Construct {
  readonly defaultPlan: ApiGatewayUsagePlan;
  /** By customer id. */
  readonly customerPlans = new Map<string, CustomerUsagePlan>();

  constructor(scope: Construct, id: string, ctx: StackContext, api: { restApi: ApiGatewayRestApi; stage: ApiGatewayStage }) {
    super(scope, id);
    const { props } = ctx;
    const limits = customerLimitsConfig(props.api);
    const apiStages = [{ apiId: api.restApi.id, stage: api.stage.stageName }];
    this.defaultPlan = new ApiGatewayUsagePlan(this, 'default', {
      name: `${props.names.api}-default`,
      description: 'Per-customer rate, burst and daily quota of every customer without an override (docs/limits.md)',
      apiStages,
      ...planSettings(limits.default),
      tags: props.tags,
    });
    for (const [customerId, own] of limits.customers) {
      // Unique even when two ids differ only in a character construct ids cannot keep.
      const slug = `${customerId.replace(/[^A-Za-z0-9_-]/g, '_')}-${usageIdentifierKeyFor(customerId).slice(0, 8)}`;
      const plan = new ApiGatewayUsagePlan(this, `customer-${slug}`, {
        name: `${props.names.api}-customer-${customerId}`,
        description: `Limits of customer ${customerId} (an override of api.customerLimits)`,
        apiStages,
        ...planSettings(own),
        tags: props.tags,
      });
      // An identifier, not a credential: under the AUTHORIZER key source no client can present it.
      const apiKey = new ApiGatewayApiKey(this, `key-${slug}`, {
        name: usagePlanKeyName(customerId),
        description: `usage identifier of customer ${customerId} (docs/limits.md)`,
        value: usageIdentifierKeyFor(customerId),
        enabled: true,
        tags: props.tags,
      });
      const planKey = new ApiGatewayUsagePlanKey(this, `plan-key-${slug}`, { usagePlanId: plan.id, keyId: apiKey.id, keyType: 'API_KEY' });
      this.customerPlans.set(customerId, { limits: own, plan, apiKey, planKey });
    }
  }
}
