import { createAwsClients, destroyAwsClients } from '../../core/adapters/aws-clients';
import { ApiGatewayUsagePlanKeys, createApiGatewayClient } from '../../core/adapters/api-gateway/usage-plan-keys';
import { createApiKey } from '../../core/adapters/secrets/api-key-secret';
import { assertCustomerIdBounds } from '../../core/input-bounds';
import type { Command } from '../cli';
import { useLocalStack } from '../stack';
import { refuseInput } from './input-checks';

/** `ingest keys create <customerId>`: adds a key to the API-key secret and prints it once. */
export const keysCommands: Record<string, Command> = {
  'keys create': {
    usage: 'ingest keys create <customerId>',
    positionals: [1, 1],
    summary: 'add an API key for a customer (printed once)',
    help: 'Generates a random API key for <customerId>, stores only its SHA-256 hash in the API-key secret, and prints the key. It cannot be shown again. With USAGE_PLAN_ID set (AWS), also puts the customer in that default usage plan (docs/limits.md).',
    async run({ positionals }) {
      const [customerId] = positionals as [string];
      // Refused (exit 2) before the secret is touched.
      refuseInput(() => assertCustomerIdBounds(customerId, '<customerId>'));
      const config = useLocalStack();
      const clients = createAwsClients(config);
      let key: string;
      try {
        ({ key } = await createApiKey(clients.secrets, config.apiKeySecretId, customerId));
      } finally {
        destroyAwsClients(clients);
      }
      const planId = config.usagePlans.defaultPlanId;
      // A customer with an override has its own plan and key from the CDKTF app; an API key can be
      // in only one plan per stage, so it must not join the default plan too.
      if (planId !== undefined && !config.customerLimits.customers.has(customerId)) {
        const apiGateway = createApiGatewayClient(config);
        try {
          const enrolled = await new ApiGatewayUsagePlanKeys(apiGateway, planId).enrol(customerId);
          process.stderr.write(`usage plan ${planId}: API Gateway key ${enrolled.apiKeyId} ${enrolled.attached ? 'added' : 'already there'}\n`);
        } finally {
          apiGateway.destroy();
        }
      }
      process.stdout.write(`${key}\n`);
      return 0;
    },
  },
};
