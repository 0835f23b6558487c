import { GetSecretValueCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { createAwsClients, destroyAwsClients } from '../../core/adapters/aws-clients';
import { generateApiKey, parseApiKeySecret } from '../../core/auth/api-keys';
import type { Command } from '../cli';
import { useLocalStack } from '../stack';

/** `ingest keys create <customerId>`: adds a key to the API-key secret and prints it once. */
export const keysCommands: Record<string, Command> = {
  'keys create': {
    usage: 'ingest keys create <customerId>',
    summary: 'add an API key for a customer (printed once)',
    help: 'Generates a random API key for <customerId>, stores only its SHA-256 hash in the API-key secret, and prints the key. It cannot be shown again.',
    async run({ positionals }) {
      const [customerId] = positionals;
      const { key, entry } = generateApiKey(customerId as string);
      const config = useLocalStack();
      const clients = createAwsClients(config);
      try {
        const current = await clients.secrets.send(new GetSecretValueCommand({ SecretId: config.apiKeySecretId }));
        const secret = parseApiKeySecret(current.SecretString);
        await clients.secrets.send(new PutSecretValueCommand({ SecretId: config.apiKeySecretId, SecretString: JSON.stringify({ keys: [...secret.keys, entry] }) }));
      } finally {
        destroyAwsClients(clients);
      }
      process.stdout.write(`${key}\n`);
      return 0;
    },
  },
};
