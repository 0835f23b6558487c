/**
 * The REST router: match the route, authenticate, admit (per-customer limits), run the route's binding, and turn every error
 * into HTTP through the one map in `problem.ts`.
 *
 * Why not `@aws-lambda-powertools/event-handler/http` (whose `Router` + `ErrorHandlerRegistry`
 * this follows)? At the time of writing: no 2.36.0 exists to match our other Powertools packages
 * (2.35.0 is the newest, and would bring a second `@aws-lambda-powertools/commons`); its
 * registry answers 404, not 405, for a known path with another method; a malformed
 * percent-encoded path parameter reaches `decodeURIComponent` unguarded and becomes a 500; and its
 * default 500 carries the stack trace when `POWERTOOLS_DEV` is set. Bending it to our contract
 * would take more code than these ~80 lines.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { InvalidParameterError, MethodNotAllowedError, NotFoundError, type RequestLimiter, type Telemetry } from '../core';
import type { Authenticator } from './authentication';
import type { HttpRequest } from './http';
import { problemResponse } from './problem';
import { matchRoute, methodsForPath, type RouteName } from './routes';

/** What a route binding receives. */
export interface RouteContext {
  request: HttpRequest;
  /** Path parameters by name (`{id}` → `id`), percent-decoded. */
  pathParameters: Readonly<Record<string, string>>;
}

/**
 * How one route is served: `public` routes run without authentication; the others get the
 * customer id the {@link Authenticator} returned. A binding reads what its use case needs from
 * the request, calls it, and shapes the answer; it throws project errors for refusals.
 */
export type RouteBinding =
  | { access: 'public'; handle(context: RouteContext): Promise<APIGatewayProxyResult> }
  | { access: 'customer'; handle(context: RouteContext & { customerId: string }): Promise<APIGatewayProxyResult> };

/** One binding per route name; a route added to `ROUTES` does not compile until it is bound. */
export type RouteBindings = Readonly<Record<RouteName, RouteBinding>>;

/** Options of {@link Router}. */
export interface RouterOptions {
  /** The one authentication step for every non-public route. */
  authenticator: Authenticator;
  /**
   * Per-customer rate, burst and daily quota, checked right after authentication (as API Gateway
   * applies usage plans after the authorizer). The local adapter passes the in-memory limiter;
   * the Lambda on AWS passes none, because the usage plans already did it (docs/limits.md).
   * @default none (every authenticated request is admitted)
   */
  limiter?: RequestLimiter;
  /** Request logs; flushed after every request. */
  telemetry: Telemetry;
}

/** Cut echoed paths so a long one cannot fill a problem's detail. */
const ECHO_MAX_CHARS = 200;

/**
 * Dispatches plain requests to route bindings. Never throws: every failure becomes a
 * problem+json answer; refusals are logged at info, anything internal at error.
 * @example
 * const router = new Router(bindings, { authenticator, telemetry });
 * const result = await router.handle(fromApiGatewayEvent(event));
 */
export class Router {
  constructor(
    private readonly bindings: RouteBindings,
    private readonly options: RouterOptions,
  ) {}

  /** Answers one request. */
  async handle(request: HttpRequest): Promise<APIGatewayProxyResult> {
    const { telemetry } = this.options;
    const log = telemetry.child({ requestId: request.requestId, method: request.method, path: request.path });
    try {
      const { name, pathParameters } = resolveRoute(request.method, request.path);
      const binding = this.bindings[name];
      const context = { request, pathParameters };
      if (binding.access === 'public') return await binding.handle(context);
      const customerId = await this.options.authenticator.authenticate(request);
      // Before any work: a refused request reads no body and stores nothing.
      await this.options.limiter?.admit(customerId);
      return await binding.handle({ ...context, customerId });
    } catch (error) {
      const { response, internal } = problemResponse(error, request.requestId);
      if (internal) log.error('request failed', { error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack, cause: (error.cause as Error | undefined)?.name } : String(error) });
      else log.info('request refused', { status: response.statusCode, code: (error as { code?: string }).code });
      return response;
    } finally {
      telemetry.flush();
    }
  }
}

/**
 * The route for a method and path.
 * @throws NotFoundError (404) when no route has the path.
 * @throws MethodNotAllowedError (405, with the allowed methods) when the path is served with other methods.
 * @throws InvalidParameterError (400) when a path parameter is not valid percent-encoded UTF-8.
 */
export function resolveRoute(method: string, path: string): { name: RouteName; pathParameters: Record<string, string> } {
  const matched = matchRoute(method, path);
  const shownPath = path.length > ECHO_MAX_CHARS ? `${path.slice(0, ECHO_MAX_CHARS)}…` : path;
  if (matched === undefined) throw new NotFoundError(`no route for ${method} ${shownPath}`);
  if ('malformedPath' in matched) throw new InvalidParameterError('the path is not valid percent-encoded UTF-8', { context: { parameter: 'path' } });
  if ('methodNotAllowed' in matched) throw new MethodNotAllowedError(methodsForPath(path), `${method} is not allowed on ${shownPath}`);
  return { name: matched.route.name, pathParameters: matched.pathParameters };
}
