import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { ALARMED_LOG_MESSAGES, UnauthorizedError, createAwsClients, createTelemetry, loadConfig } from '../core';
import { SecretsManagerStore } from '../core/adapters/secrets/secret-store';
import { authorize } from './authorize';
import { authorizerDependencies } from './dependencies';
import { allowPolicy } from './policy';

// Built once per cold start: a bad configuration fails here, naming the variable; the JWKS and
// the key secret are then cached across invocations.
const config = loadConfig();
const telemetry = createTelemetry({ serviceName: 'authorizer', logLevel: config.logLevel, tracing: config.tracing.enabled });
const clients = createAwsClients(config, { instrument: (client) => telemetry.captureAwsClient(client) });
const dependencies = authorizerDependencies(config, new SecretsManagerStore(clients.secrets));

/**
 * API Gateway Lambda REQUEST authorizer (identity source `method.request.header.Authorization`):
 * an Allow policy for the customer behind the bearer credential. A refused credential throws
 * `Error('Unauthorized')`, which API Gateway answers 401 (its UNAUTHORIZED gateway response, a
 * problem+json body); any other error (Secrets Manager or the JWKS unreachable) is a 500.
 * The reason for a refusal goes to the log, not to the caller: API Gateway cannot pass it on.
 */
export const handler: (event: APIGatewayRequestAuthorizerEvent) => Promise<APIGatewayAuthorizerResult> = telemetry.traceHandler(async (event: APIGatewayRequestAuthorizerEvent) => {
  try {
    const { customerId, credential } = await authorize(event.headers, dependencies);
    telemetry.info('authorized', { customerId, credential });
    return allowPolicy(customerId, event.methodArn);
  } catch (error) {
    if (error instanceof UnauthorizedError) {
      telemetry.info('refused', { reason: error.message, requestId: event.requestContext?.requestId });
      throw new Error('Unauthorized');
    }
    telemetry.error(ALARMED_LOG_MESSAGES.authorizerFailed, { error });
    throw error;
  }
});
