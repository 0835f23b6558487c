import {
  APIGatewayClient,
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  GetApiKeysCommand,
  GetUsagePlanCommand,
  GetUsagePlanKeyCommand,
  type ApiKey,
} from '@aws-sdk/client-api-gateway';
import { ENV, type Config } from '../../config';
import { ConfigError } from '../../errors';
import { assertCustomerIdBounds } from '../../input-bounds';
import type { UsagePlanEnrolment, UsagePlanKeyRegistry } from '../../limits/enrolment';
import { usagePlanKeyName } from '../../limits/settings';
import { usageIdentifierKeyFor } from '../../limits/usage-identifier';
import { asDependencyError } from '../dependency-error';

/** Most pages of `GetApiKeys` one look-up reads (500 keys a page: 50,000 keys), so a look-up is bounded. */
const MAX_KEY_PAGES = 100;

/**
 * The API Gateway client for the usage-plan adapter, from config (`AWS_ENDPOINT_URL_API_GATEWAY`
 * overrides the endpoint). Built only where it is used (`ingest keys create`), so no Lambda
 * bundle carries it.
 * @example
 * const keys = new ApiGatewayUsagePlanKeys(createApiGatewayClient(config), config.usagePlans.defaultPlanId!);
 */
export function createApiGatewayClient(config: Config): APIGatewayClient {
  return new APIGatewayClient({ region: config.region, endpoint: config.endpoints.apiGateway, maxAttempts: 3 });
}

function isNamed(error: unknown, name: string): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === name;
}

/**
 * Enrols customers in one usage plan: the customer's API Gateway API key (name
 * `usagePlanKeyName(customerId)`, value `usageIdentifierKeyFor(customerId)` — what the Lambda
 * authorizer returns as `usageIdentifierKey` under API key source `AUTHORIZER`) and its usage-plan
 * key. Each step looks before it writes and treats "already exists" as done, so it is idempotent
 * and safe to re-run after a partial failure.
 * @example
 * await new ApiGatewayUsagePlanKeys(client, 'abc123').enrol('acme');
 */
export class ApiGatewayUsagePlanKeys implements UsagePlanKeyRegistry {
  constructor(
    private readonly client: APIGatewayClient,
    private readonly usagePlanId: string,
  ) {}

  /** {@inheritDoc UsagePlanKeyRegistry.enrol} */
  async enrol(customerId: string): Promise<UsagePlanEnrolment> {
    assertCustomerIdBounds(customerId);
    await this.assertPlanExists();
    const name = usagePlanKeyName(customerId);
    const value = usageIdentifierKeyFor(customerId);
    let key = await this.findKey(value, name);
    let createdKey = false;
    if (key === undefined) {
      try {
        key = await this.client.send(new CreateApiKeyCommand({ name, value, enabled: true, description: `usage identifier of customer ${customerId} (docs/limits.md)` }));
        createdKey = true;
      } catch (error) {
        // Made meanwhile (another run), or under another name: the value is what binds the plan.
        if (!isNamed(error, 'ConflictException')) throw asDependencyError('API Gateway', `CreateApiKey ${name}`, error);
        key = await this.findKey(value);
      }
    }
    const apiKeyId = key?.id;
    if (apiKeyId === undefined) throw asDependencyError('API Gateway', `CreateApiKey ${name}`, new Error('the key was neither created nor found'));
    return { apiKeyId, createdKey, attached: await this.attach(apiKeyId) };
  }

  /** Checked first, so a wrong plan id leaves no stray key behind. */
  private async assertPlanExists(): Promise<void> {
    try {
      await this.client.send(new GetUsagePlanCommand({ usagePlanId: this.usagePlanId }));
    } catch (error) {
      if (isNamed(error, 'NotFoundException')) throw new ConfigError(`${ENV.usagePlanId} names usage plan "${this.usagePlanId}", which does not exist (the stack's default_usage_plan_id output is the one to use)`, { cause: error });
      throw asDependencyError('API Gateway', `GetUsagePlan ${this.usagePlanId}`, error);
    }
  }

  /** The key with this value (among keys whose name starts with `nameQuery`, when given). */
  private async findKey(value: string, nameQuery?: string): Promise<ApiKey | undefined> {
    let position: string | undefined;
    for (let page = 0; page < MAX_KEY_PAGES; page += 1) {
      let result;
      try {
        result = await this.client.send(new GetApiKeysCommand({ nameQuery, includeValues: true, limit: 500, position }));
      } catch (error) {
        throw asDependencyError('API Gateway', 'GetApiKeys', error);
      }
      const found = (result.items ?? []).find((k) => k.value === value);
      if (found !== undefined) return found;
      position = result.position;
      if (position === undefined || position === '') return undefined;
    }
    return undefined;
  }

  /** Puts the key in the plan; false when it already was. */
  private async attach(keyId: string): Promise<boolean> {
    try {
      await this.client.send(new GetUsagePlanKeyCommand({ usagePlanId: this.usagePlanId, keyId }));
      return false;
    } catch (error) {
      if (!isNamed(error, 'NotFoundException')) throw asDependencyError('API Gateway', `GetUsagePlanKey ${this.usagePlanId}`, error);
    }
    try {
      await this.client.send(new CreateUsagePlanKeyCommand({ usagePlanId: this.usagePlanId, keyId, keyType: 'API_KEY' }));
      return true;
    } catch (error) {
      if (isNamed(error, 'ConflictException')) return false;
      throw asDependencyError('API Gateway', `CreateUsagePlanKey ${this.usagePlanId}`, error);
    }
  }
}
