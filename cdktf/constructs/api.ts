import { Construct } from 'constructs';
import { Fn } from 'cdktn';
import { ApiGatewayAccount } from '@cdktn/provider-aws/lib/api-gateway-account';
import { ApiGatewayDeployment } from '@cdktn/provider-aws/lib/api-gateway-deployment';
import { ApiGatewayGatewayResponse } from '@cdktn/provider-aws/lib/api-gateway-gateway-response';
import { ApiGatewayIntegration } from '@cdktn/provider-aws/lib/api-gateway-integration';
import { ApiGatewayMethod } from '@cdktn/provider-aws/lib/api-gateway-method';
import { ApiGatewayMethodSettings } from '@cdktn/provider-aws/lib/api-gateway-method-settings';
import { ApiGatewayResource } from '@cdktn/provider-aws/lib/api-gateway-resource';
import { ApiGatewayRestApi } from '@cdktn/provider-aws/lib/api-gateway-rest-api';
import { ApiGatewayStage } from '@cdktn/provider-aws/lib/api-gateway-stage';
import { CloudwatchLogGroup } from '@cdktn/provider-aws/lib/cloudwatch-log-group';
import { IamRole } from '@cdktn/provider-aws/lib/iam-role';
import { IamRolePolicyAttachment } from '@cdktn/provider-aws/lib/iam-role-policy-attachment';
import type { LambdaFunction } from '@cdktn/provider-aws/lib/lambda-function';
import { LambdaPermission } from '@cdktn/provider-aws/lib/lambda-permission';
import type { CorsConfig } from '../../core/config';
import { CORS_EXPOSED_HEADERS } from '../../ingest-api/cors';
import { BINARY_MEDIA_TYPES as HANDLER_BINARY_MEDIA_TYPES, ROUTES } from '../../ingest-api/routes';
import { assumeRolePolicy } from '../iam';
import { GatewayAuthorizer } from './auth';
import type { StackContext } from './context';
import { limitGatewayResponses } from './usage-plans';

/**
 * Content types API Gateway passes to the Lambda as base64 bytes instead of mangling them as
 * text, and the public routes (all proxied to ingest-api, which checks API keys itself): both
 * are the handler's own constants, so the API and the code that dispatches on it cannot drift.
 */
export const BINARY_MEDIA_TYPES: readonly string[] = HANDLER_BINARY_MEDIA_TYPES;

/** The routes as method + API Gateway resource path. */
export const API_ROUTES: readonly { method: string; path: string }[] = ROUTES.map((r) => ({ method: r.method, path: r.resource }));

/**
 * Resource paths that answer CORS preflights: every `/v1` route's path gets an `OPTIONS` method
 * proxied to the ingest Lambda, whose `withCors` answers it from the configured origins (a MOCK
 * integration could only send one fixed origin).
 */
export const PREFLIGHT_PATHS: readonly string[] = [...new Set(ROUTES.map((r) => r.resource).filter((path) => path.startsWith('/v1/')))];

/** API Gateway's own error responses (throttling, 413, missing route, Lambda failures) that must carry CORS headers. */
export const CORS_GATEWAY_RESPONSE_TYPES = ['DEFAULT_4XX', 'DEFAULT_5XX'] as const;

/**
 * `responseParameters` of the gateway responses, so a page can read API Gateway's own errors.
 * Gateway responses cannot pick an origin from a list: with one origin (or `*`) it is sent as
 * is; with several, the request's `Origin` is echoed. That is safe here because gateway
 * responses carry only API Gateway's fixed messages, never customer data; the Lambda's
 * responses, which do, answer exactly the configured origins. Empty when CORS is off.
 */
export function gatewayResponseCorsParameters(cors: CorsConfig): Record<string, string> {
  if (cors.allowedOrigins.length === 0) return {};
  const quoted = (value: string): string => `'${value}'`;
  const origin = cors.allowedOrigins.length === 1 ? quoted(cors.allowedOrigins[0] as string) : 'method.request.header.Origin';
  return {
    'gatewayresponse.header.Access-Control-Allow-Origin': origin,
    'gatewayresponse.header.Access-Control-Expose-Headers': quoted(CORS_EXPOSED_HEADERS.join(', ')),
    ...(cors.allowedOrigins[0] !== '*' ? { 'gatewayresponse.header.Vary': quoted('Origin') } : {}),
    ...(cors.allowCredentials ? { 'gatewayresponse.header.Access-Control-Allow-Credentials': quoted('true') } : {}),
  };
}

/** JSON access-log line: enough to trace a request to the Lambda's logs by request id. */
const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTime',
  httpMethod: '$context.httpMethod',
  resourcePath: '$context.resourcePath',
  status: '$context.status',
  responseLength: '$context.responseLength',
  integrationLatency: '$context.integrationLatency',
  integrationStatus: '$context.integration.status',
  errorMessage: '$context.error.message',
});

/**
 * The REST API: the routes above (authorization NONE — the Lambda validates keys against a
 * Secrets Manager secret), binary media types, a stage with access logging and a stage-wide
 * throttle; API keys from the authorizer (`AUTHORIZER` source) required on every /v1 method, so
 * the per-customer usage plans of usage-plans.ts apply, with their 429 gateway responses.
 */
export class Api extends Construct {
  readonly restApi: ApiGatewayRestApi;
  readonly stage: ApiGatewayStage;
  readonly accessLogs: CloudwatchLogGroup;
  /** The 4XX/5XX gateway responses with CORS headers; empty when no origin is configured. */
  readonly corsGatewayResponses: ApiGatewayGatewayResponse[] = [];

  /** The REQUEST authorizer on every `/v1` method, and its 401/403 gateway responses (auth.ts). */
  readonly gatewayAuthorizer: GatewayAuthorizer;

  /** @param authorizerFunction the Lambda REQUEST authorizer (API keys and Cognito ID tokens, docs/authentication.md). */
  constructor(scope: Construct, id: string, ctx: StackContext, handler: LambdaFunction, authorizerFunction: LambdaFunction) {
    super(scope, id);
    const { props, partition } = ctx;
    this.restApi = new ApiGatewayRestApi(this, 'rest-api', {
      name: props.names.api,
      description: 'Image ingestion REST API',
      binaryMediaTypes: [...BINARY_MEDIA_TYPES],
      endpointConfiguration: { types: ['REGIONAL'] },
      // Usage plans find the caller's API key in the authorizer's `usageIdentifierKey`, never in a
      // client header (docs/limits.md): one credential header, and the key is not a secret.
      apiKeySource: 'AUTHORIZER',
      tags: props.tags,
    });

    const resources = new Map<string, ApiGatewayResource>();
    const resourceFor = (path: string): string => {
      const parts = path.split('/').filter((p) => p.length > 0);
      let parentId = this.restApi.rootResourceId;
      let current = '';
      for (const part of parts) {
        current += `/${part}`;
        let resource = resources.get(current);
        if (!resource) {
          resource = new ApiGatewayResource(this, `resource${current.replace(/[{}]/g, '').replace(/\//g, '-')}`, {
            restApiId: this.restApi.id,
            parentId,
            pathPart: part,
          });
          resources.set(current, resource);
        }
        parentId = resource.id;
      }
      return parentId;
    };

    const corsParameters = gatewayResponseCorsParameters({ allowedOrigins: props.api.corsAllowedOrigins, allowCredentials: props.api.corsAllowCredentials });
    this.gatewayAuthorizer = new GatewayAuthorizer(this, 'credentials', ctx, { restApi: this.restApi, fn: authorizerFunction, corsParameters });

    /** A method on `path` proxied to the ingest Lambda; every `/v1` method but CORS preflights has the REQUEST authorizer. */
    const proxyToLambda = (path: string, httpMethod: string): ApiGatewayIntegration => {
      const slug = `${httpMethod.toLowerCase()}${path.replace(/[{}]/g, '').replace(/\//g, '-')}`;
      const resourceId = resourceFor(path);
      const method = new ApiGatewayMethod(this, `method-${slug}`, {
        restApiId: this.restApi.id,
        resourceId,
        httpMethod,
        ...(path.startsWith('/v1') && httpMethod !== 'OPTIONS'
          ? { authorization: 'CUSTOM', authorizerId: this.gatewayAuthorizer.authorizer.id }
          : { authorization: 'NONE' }),
        // Usage plans apply only to methods that require an API key: every /v1 route, not the
        // CORS preflights (browsers send no credentials) nor /healthz.
        apiKeyRequired: httpMethod !== 'OPTIONS' && path.startsWith('/v1/'),
        requestParameters: path.includes('{id}') ? { 'method.request.path.id': true } : undefined,
      });
      return new ApiGatewayIntegration(this, `integration-${slug}`, {
        restApiId: this.restApi.id,
        resourceId,
        httpMethod: method.httpMethod,
        type: 'AWS_PROXY',
        integrationHttpMethod: 'POST',
        uri: handler.invokeArn,
      });
    };
    const integrations = [
      ...API_ROUTES.map((route) => proxyToLambda(route.path, route.method)),
      // CORS preflights: OPTIONS (no API key, as browsers send none on a preflight) to the same Lambda.
      ...PREFLIGHT_PATHS.map((path) => proxyToLambda(path, 'OPTIONS')),
    ];
    if (Object.keys(corsParameters).length > 0) {
      for (const responseType of CORS_GATEWAY_RESPONSE_TYPES) {
        this.corsGatewayResponses.push(
          new ApiGatewayGatewayResponse(this, `gateway-response-${responseType.toLowerCase().replace('_', '-')}`, {
            restApiId: this.restApi.id,
            responseType,
            responseParameters: corsParameters,
          }),
        );
      }
    }

    // The 429s of the usage plans (cdktf/constructs/usage-plans.ts), deployed with the rest.
    const limitResponses = limitGatewayResponses(this, this.restApi.id, corsParameters);

    const deployment = new ApiGatewayDeployment(this, 'deployment', {
      restApiId: this.restApi.id,
      // Redeploy whenever a route, integration, the binary types or a gateway response change.
      triggers: {
        redeployment: Fn.sha1(
          Fn.jsonencode([
            this.restApi.binaryMediaTypes,
            this.restApi.apiKeySource,
            ...integrations.map((i) => i.id),
            ...this.corsGatewayResponses.map((r) => r.id),
            ...limitResponses.map((r) => r.id),
            corsParameters,
            this.gatewayAuthorizer.authorizer.id,
            ...this.gatewayAuthorizer.gatewayResponses.map((r) => r.id),
          ]),
        ),
      },
      lifecycle: { createBeforeDestroy: true },
      dependsOn: [...integrations, ...this.corsGatewayResponses, ...limitResponses, ...this.gatewayAuthorizer.gatewayResponses],
    });

    let account: ApiGatewayAccount | undefined;
    if (props.api.manageAccountLoggingRole) {
      const role = new IamRole(this, 'cloudwatch-role', {
        name: `image-pipeline-${props.environment}-apigw-logs-${ctx.region}`,
        assumeRolePolicy: assumeRolePolicy('apigateway.amazonaws.com'),
        tags: props.tags,
      });
      const attach = new IamRolePolicyAttachment(this, 'cloudwatch-role-policy', {
        role: role.name,
        policyArn: `arn:${partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs`,
      });
      account = new ApiGatewayAccount(this, 'account', { cloudwatchRoleArn: role.arn, dependsOn: [attach] });
    }

    this.accessLogs = new CloudwatchLogGroup(this, 'access-logs', {
      name: `/aws/apigateway/${props.names.api}/access`,
      retentionInDays: props.lambda.logRetentionDays,
      tags: props.tags,
    });
    this.stage = new ApiGatewayStage(this, 'stage', {
      restApiId: this.restApi.id,
      deploymentId: deployment.id,
      stageName: props.api.stageName,
      accessLogSettings: { destinationArn: this.accessLogs.arn, format: ACCESS_LOG_FORMAT },
      // The trace starts here and continues into ingest-api (docs/tracing.md).
      xrayTracingEnabled: true,
      tags: props.tags,
      dependsOn: account ? [account] : undefined,
    });
    new ApiGatewayMethodSettings(this, 'stage-settings', {
      restApiId: this.restApi.id,
      stageName: this.stage.stageName,
      methodPath: '*/*',
      settings: {
        // The account-protection ceiling over all customers together (and /healthz and preflights,
        // which no usage plan covers); each customer's own limits are its usage plan (docs/limits.md).
        throttlingRateLimit: props.api.throttleRateLimit,
        throttlingBurstLimit: props.api.throttleBurstLimit,
        metricsEnabled: true,
        loggingLevel: 'ERROR',
        dataTraceEnabled: false,
      },
    });
    new LambdaPermission(this, 'api-invokes-ingest', {
      action: 'lambda:InvokeFunction',
      functionName: handler.functionName,
      principal: 'apigateway.amazonaws.com',
      sourceArn: `${this.restApi.executionArn}/${props.api.stageName}/*`,
    });
  }

  /** The stage's base URL, e.g. `https://abc.execute-api.eu-west-1.amazonaws.com/v1`. */
  get url(): string {
    return this.stage.invokeUrl;
  }
}
