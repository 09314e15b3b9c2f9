import fastifySwagger from '@fastify/swagger';
import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';
import { z, type ZodType } from 'zod';
import { CSRF_HEADER } from '@portcullis/contract/auth';
import { cookieNames } from './cookies.js';
import { isApiRoute } from './route-policy.js';
import { toResponseJsonSchema } from './validation.js';

declare module 'fastify' {
  interface FastifyInstance {
    apiRoutes: readonly { method: string; url: string }[];
  }
}

const unsafeMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Where the document is served; the web app and API clients can generate types from it. */
export const OPENAPI_PATH = '/api/openapi.json';

/** Where the interactive reference renders it, when API_REFERENCE is on (plugins/api-reference.ts). */
export const API_REFERENCE_PATH = '/api/reference';

/**
 * The routes that serve the document or render it: they are about the API, not part of it, so
 * neither the document nor the list of routes it must name includes them.
 */
function isDocumentationRoute(url: string): boolean {
  return (
    url === OPENAPI_PATH || url === API_REFERENCE_PATH || url.startsWith(`${API_REFERENCE_PATH}/`)
  );
}

function inputSchema(schema: unknown): Record<string, unknown> | undefined {
  if (schema === undefined) return undefined;
  return z.toJSONSchema(schema as ZodType, { io: 'input', unrepresentable: 'any' });
}

/**
 * The OpenAPI 3.1 document, generated from the routes themselves: each route's zod schemas from
 * the contract become its request and response schemas, and its access rule its security
 * requirement (the access-token cookie; the CSRF header on unsafe methods). So the document
 * cannot describe an API other than the one that runs. Documents, the OpenAPI document and its
 * reference page, and the 405 answers are left out.
 */
export async function registerOpenApi(
  app: FastifyInstance,
  options: { publicOrigin: string; version: string },
): Promise<void> {
  // The API routes as registered, so a test can hold the document against the running app.
  const apiRoutes: { method: string; url: string }[] = [];
  app.decorate('apiRoutes', apiRoutes);
  app.addHook('onRoute', (route) => {
    if (!isApiRoute(route.url) || route.config?.methodNotAllowed === true) return;
    if (isDocumentationRoute(route.url)) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method !== 'HEAD' && method !== 'OPTIONS') apiRoutes.push({ method, url: route.url });
    }
  });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Portcullis API',
        version: options.version,
        description:
          'Every error answers {"error":{"code","message","requestId"}} with a code from the contract’s catalogue.',
      },
      servers: [{ url: options.publicOrigin }],
      components: {
        securitySchemes: {
          accessToken: {
            type: 'apiKey',
            in: 'cookie',
            name: cookieNames.access,
            description: 'The short-lived access token (HttpOnly; set by sign-in and refresh).',
          },
          csrfToken: {
            type: 'apiKey',
            in: 'header',
            name: CSRF_HEADER,
            description: 'From GET /api/csrf; required on every POST, PUT, PATCH and DELETE.',
          },
        },
      },
    },
    transform: ({ schema, url, route }) => describeRoute(schema, url, route),
  });

  app.get(
    OPENAPI_PATH,
    { config: { access: 'public', rawResponse: true }, schema: { hide: true } },
    (_request, reply) =>
      reply.type('application/json; charset=utf-8').send(JSON.stringify(app.swagger())),
  );
}

function describeRoute(
  schema: FastifySchema | undefined,
  url: string,
  route: RouteOptions,
): { schema: FastifySchema; url: string } {
  if (!isApiRoute(url) || route.config?.methodNotAllowed === true || isDocumentationRoute(url)) {
    return { schema: { hide: true }, url };
  }
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  const access = route.config?.access;
  const csrf = methods.some((method) => unsafeMethods.has(method)) && route.config?.csrf !== false;
  const requirement: Record<string, string[]> = {};
  if (access !== 'public') requirement.accessToken = [];
  if (csrf) requirement.csrfToken = [];
  const response: Record<string, unknown> = {};
  for (const [status, zodSchema] of Object.entries(
    (schema?.response ?? {}) as Record<string, ZodType>,
  )) {
    response[status] = toResponseJsonSchema(zodSchema);
  }
  const described: Record<string, unknown> = {
    tags: [url.split('/')[2] ?? 'api'],
    security: Object.keys(requirement).length === 0 ? [] : [requirement],
    response,
  };
  for (const part of ['body', 'querystring', 'params'] as const) {
    const converted = inputSchema(schema?.[part]);
    // OpenAPI lists query and path parameters by name; an open map of them (a provider's
    // callback, whatever it sends) has no names to list, so it is left to the description.
    if (part !== 'body' && converted !== undefined && converted.properties === undefined) continue;
    if (converted !== undefined) described[part] = converted;
  }
  return { schema: described, url };
}
