import { createAwsClients, destroyAwsClients } from '../../core/adapters/aws-clients';
import { createApiKey } from '../../core/adapters/secrets/api-key-secret';
import type { Command } from '../cli';
import { useLocalStack } from '../stack';

/** `ingest keys create <customerId>`: adds a key to the API-key secret and prints it once. */
export const keysCommands: Record<string, Command> = {
  'keys create': {
    usage: 'ingest keys create <customerId>',
    positionals: [1, 1],
    summary: 'add an API key for a customer (printed once)',
    help: 'Generates a random API key for <customerId>, stores only its SHA-256 hash in the API-key secret, and prints the key. It cannot be shown again.',
    async run({ positionals }) {
      const [customerId] = positionals;
      const config = useLocalStack();
      const clients = createAwsClients(config);
      let key: string;
      try {
        ({ key } = await createApiKey(clients.secrets, config.apiKeySecretId, customerId as string));
      } finally {
        destroyAwsClients(clients);
      }
      process.stdout.write(`${key}\n`);
      return 0;
    },
  },
};
