/**
 * CDKTF guarantees of per-customer limits on AWS: API keys come from the authorizer, every /v1
 * method (not preflights, not /healthz) requires one so usage plans apply, the default plan has
 * the default numbers with a DAY quota, each override customer has its own plan + API key
 * (value = its usage identifier) + plan key, and the 429 gateway responses are problem+json with
 * Retry-After and CORS headers. Also: the numbers come from the runtime's own defaults and
 * parser, and a plan above the stage throttle is refused at synth.
 */
import { DEFAULT_CUSTOMER_LIMITS, ERROR_CODES, usageIdentifierKeyFor, usagePlanKeyName } from '../../../core';
import { GATEWAY_RETRY_AFTER_SECONDS, LIMIT_GATEWAY_RESPONSE_TYPES } from '../../../cdktf/constructs/usage-plans';
import { INFRA_ENV, overridesFromEnv, resolveStackProps } from '../../../cdktf/props';
import type { ImagePipelineStack } from '../../../cdktf/stack';
import { addressOf, bodyOf, refOf, resourcesOf, synthStack, type TerraformJson } from './synth-helpers';

const APP = 'https://app.example.com';
const BIG = 'big-customer';
const SMALL = 'small.customer';

let plain: { stack: ImagePipelineStack; json: TerraformJson };
let overridden: { stack: ImagePipelineStack; json: TerraformJson };

beforeAll(() => {
  plain = synthStack('dev', { bundling: { mode: 'skip' } });
  overridden = synthStack('prod', {
    bundling: { mode: 'skip' },
    api: {
      corsAllowedOrigins: [APP],
      customerLimits: { default: { ratePerSecond: 25, burst: 50, dailyQuota: 20_000 }, customers: { [BIG]: { ratePerSecond: 200, burst: 400, dailyQuota: 1_000_000 }, [SMALL]: { dailyQuota: 500 } } },
    },
  });
});

/** `METHOD /path` of a method body, rebuilt from the resources' path parts. */
function routeOf(json: TerraformJson, method: Record<string, unknown>): string {
  const resources = json.resource.aws_api_gateway_resource ?? {};
  const parts: string[] = [];
  let ref = String(method.resource_id);
  for (let depth = 0; depth < 10; depth++) {
    const id = /^\$\{aws_api_gateway_resource\.([^.]+)\.id\}$/.exec(ref)?.[1];
    if (id === undefined) break;
    const body = resources[id] as { path_part: string; parent_id: string };
    parts.unshift(body.path_part);
    ref = body.parent_id;
  }
  return `${String(method.http_method)} /${parts.join('/')}`;
}

describe('API keys from the authorizer, required on every /v1 method', () => {
  test('the REST API takes API keys from the authorizer (apiKeySource AUTHORIZER)', () => {
    expect(bodyOf(plain.json, plain.stack.api.restApi).api_key_source).toBe('AUTHORIZER');
  });

  test('every /v1 method requires an API key; OPTIONS preflights and /healthz do not', () => {
    const methods = resourcesOf(plain.json, 'aws_api_gateway_method').map(([, m]) => ({ route: routeOf(plain.json, m), required: m.api_key_required === true }));
    const v1 = methods.filter((m) => m.route.includes(' /v1/') && !m.route.startsWith('OPTIONS '));
    expect(v1.map((m) => m.route).sort()).toEqual(['GET /v1/images', 'GET /v1/images/{id}', 'POST /v1/images', 'POST /v1/uploads']);
    for (const m of v1) expect(m).toEqual({ route: m.route, required: true });
    const open = methods.filter((m) => m.route.startsWith('OPTIONS ') || m.route === 'GET /healthz');
    expect(open.length).toBeGreaterThan(1);
    for (const m of open) expect(m).toEqual({ route: m.route, required: false });
  });

  test('a change of the key source re-deploys the stage', () => {
    const deployment = resourcesOf(plain.json, 'aws_api_gateway_deployment')[0]?.[1] as { triggers: { redeployment: string } };
    // Switching the key source on comes with apiKeyRequired on the methods: one redeployment covers both.
    expect(deployment.triggers.redeployment).toContain(`${addressOf(plain.stack.api.restApi)}.api_key_source`);
  });
});

describe('usage plans', () => {
  test('the default plan has the default numbers (20/s, burst 40, 10,000 a DAY) on the API stage', () => {
    const plans = resourcesOf(plain.json, 'aws_api_gateway_usage_plan');
    expect(plans).toHaveLength(1);
    const plan = bodyOf(plain.json, plain.stack.usagePlans.defaultPlan);
    expect(plan.throttle_settings).toEqual({ rate_limit: DEFAULT_CUSTOMER_LIMITS.ratePerSecond, burst_limit: DEFAULT_CUSTOMER_LIMITS.burst });
    expect(plan.throttle_settings).toEqual({ rate_limit: 20, burst_limit: 40 });
    expect(plan.quota_settings).toEqual({ limit: 10_000, period: 'DAY' });
    expect(plan.api_stages).toEqual([{ api_id: refOf(plain.stack.api.restApi, 'id'), stage: refOf(plain.stack.api.stage, 'stage_name') }]);
    expect(resourcesOf(plain.json, 'aws_api_gateway_api_key')).toEqual([]);
    expect(plain.json.output.default_usage_plan_id?.value).toBe(refOf(plain.stack.usagePlans.defaultPlan, 'id'));
  });

  test('each override customer gets its own plan with its numbers, its API key (value = usage identifier) and the plan key', () => {
    const { stack, json } = overridden;
    expect(bodyOf(json, stack.usagePlans.defaultPlan)).toMatchObject({ throttle_settings: { rate_limit: 25, burst_limit: 50 }, quota_settings: { limit: 20_000, period: 'DAY' } });
    expect(resourcesOf(json, 'aws_api_gateway_usage_plan')).toHaveLength(3);
    expect(resourcesOf(json, 'aws_api_gateway_api_key')).toHaveLength(2);
    expect(resourcesOf(json, 'aws_api_gateway_usage_plan_key')).toHaveLength(2);
    const expected = { [BIG]: { rate: 200, burst: 400, quota: 1_000_000 }, [SMALL]: { rate: 25, burst: 50, quota: 500 } };
    for (const [customerId, numbers] of Object.entries(expected)) {
      const entry = stack.usagePlans.customerPlans.get(customerId);
      if (entry === undefined) throw new Error(`no plan for ${customerId}`);
      expect(bodyOf(json, entry.plan)).toMatchObject({
        throttle_settings: { rate_limit: numbers.rate, burst_limit: numbers.burst },
        quota_settings: { limit: numbers.quota, period: 'DAY' },
        api_stages: [{ api_id: refOf(stack.api.restApi, 'id'), stage: refOf(stack.api.stage, 'stage_name') }],
      });
      expect(bodyOf(json, entry.apiKey)).toMatchObject({ name: usagePlanKeyName(customerId), value: usageIdentifierKeyFor(customerId), enabled: true });
      expect(bodyOf(json, entry.planKey)).toEqual(expect.objectContaining({ usage_plan_id: refOf(entry.plan, 'id'), key_id: refOf(entry.apiKey, 'id'), key_type: 'API_KEY' }));
    }
  });

  test('the stage throttle stays, as the ceiling above every plan', () => {
    const [[, settings] = ['', {}]] = resourcesOf(overridden.json, 'aws_api_gateway_method_settings');
    expect(settings.settings).toEqual(expect.objectContaining({ throttling_rate_limit: 5000, throttling_burst_limit: 5000 }));
  });

  test('synth refuses a plan above the stage throttle, and bad overrides with the runtime\'s messages', () => {
    expect(() => resolveStackProps('dev', { api: { customerLimits: { default: DEFAULT_CUSTOMER_LIMITS, customers: { acme: { burst: 101 } } } } })).toThrow(
      /Expected at most the stage burst api.throttleBurstLimit \(100\) for api.customerLimits.customers\["acme"\].burst but received 101/,
    );
    expect(() => resolveStackProps('dev', { api: { customerLimits: { default: { ...DEFAULT_CUSTOMER_LIMITS, ratePerSecond: 51 }, customers: {} } } })).toThrow(/api.customerLimits.default.ratePerSecond/);
    expect(() => resolveStackProps('dev', { api: { customerLimits: { default: DEFAULT_CUSTOMER_LIMITS, customers: { 'no spaces': {} } } } })).toThrow(/api.customerLimits.customers\["no spaces"\] is not a valid customer id/);
  });

  test('PIPELINE_CUSTOMER_* variables set the same numbers as the runtime variables', () => {
    const overrides = overridesFromEnv('prod', { [INFRA_ENV.customerBurstLimit]: '60', [INFRA_ENV.customerLimits]: JSON.stringify({ acme: { dailyQuota: 5 } }) });
    expect(resolveStackProps('prod', overrides).api.customerLimits).toEqual({ default: { ratePerSecond: 20, burst: 60, dailyQuota: 10_000 }, customers: { acme: { dailyQuota: 5 } } });
    expect(() => overridesFromEnv('prod', { [INFRA_ENV.customerLimits]: '{"acme":{"burst":0}}' })).toThrow(/^PIPELINE_CUSTOMER_LIMITS\["acme"\].burst must be an integer from 1 to 5000, got number 0$/);
  });
});

describe('429 gateway responses', () => {
  test('THROTTLED and QUOTA_EXCEEDED answer 429 problem+json with a static Retry-After, X-Request-Id and CORS headers', () => {
    const { stack, json } = overridden;
    const responses = resourcesOf(json, 'aws_api_gateway_gateway_response').filter(([, body]) => (LIMIT_GATEWAY_RESPONSE_TYPES as readonly unknown[]).includes(body.response_type));
    expect(responses.map(([, body]) => body.response_type).sort()).toEqual(['QUOTA_EXCEEDED', 'THROTTLED']);
    const deployment = resourcesOf(json, 'aws_api_gateway_deployment')[0]?.[1] as { depends_on: string[]; triggers: { redeployment: string } };
    for (const [id, body] of responses) {
      const type = body.response_type as (typeof LIMIT_GATEWAY_RESPONSE_TYPES)[number];
      expect(body.rest_api_id).toBe(refOf(stack.api.restApi, 'id'));
      expect(body.status_code).toBe('429');
      const problem = JSON.parse((body.response_templates as Record<string, string>)['application/json'] as string) as Record<string, unknown>;
      const code = type === 'THROTTLED' ? ERROR_CODES.rateLimited : ERROR_CODES.quotaExceeded;
      expect(problem).toMatchObject({ status: 429, title: 'Too Many Requests', code, type: `urn:image-pipeline:error:${code.toLowerCase()}` });
      const parameters = body.response_parameters as Record<string, string>;
      expect(parameters).toMatchObject({
        'gatewayresponse.header.Content-Type': "'application/problem+json'",
        'gatewayresponse.header.Retry-After': `'${GATEWAY_RETRY_AFTER_SECONDS[type]}'`,
        'gatewayresponse.header.X-Request-Id': 'context.requestId',
        'gatewayresponse.header.Access-Control-Allow-Origin': `'${APP}'`,
      });
      // A gateway response takes effect only once deployed.
      expect(deployment.depends_on).toContain(`aws_api_gateway_gateway_response.${id}`);
      expect(deployment.triggers.redeployment).toContain(`aws_api_gateway_gateway_response.${id}.id`);
    }
  });
});
