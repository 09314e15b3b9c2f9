import type { FastifyInstance } from 'fastify';
import fastJson from 'fast-json-stringify';
import { z, type ZodType } from 'zod';
import { AppError } from '../lib/app-error.js';
import { isApiRoute } from './route-policy.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A route that answers outside the JSON contract (a redirect, a file); rare, and visible. */
    rawResponse?: true;
  }
}

/**
 * Routes declare zod schemas from the shared contract; this compiler runs them, so the server
 * validates with exactly the rules the browser uses. The parsed value replaces the raw input, so
 * handlers only ever see trimmed, typed, known fields.
 */
export function registerZodValidation(app: FastifyInstance): void {
  app.setValidatorCompiler(({ schema }) => {
    const zodSchema = schema as ZodType;
    return (data: unknown) => {
      const result = zodSchema.safeParse(data);
      if (result.success) return { value: result.data };
      return {
        error: new AppError('validation_failed', {
          fields: result.error.issues.slice(0, 20).map((issue) => ({
            path: issue.path.join('.'),
            message:
              issue.code === 'unrecognized_keys'
                ? `Unknown field: ${issue.keys.join(', ')}`
                : issue.message,
          })),
        }),
      };
    };
  });
  // Deny by default, as for access rules: an API route that declares no response schema would
  // send whatever its handler returns, so the server refuses to start with one.
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!isApiRoute(route.url) || methods.every((m) => m === 'HEAD' || m === 'OPTIONS')) return;
    // The 405 answers for a known path's other methods only ever throw (the error envelope).
    if (route.config?.rawResponse === true || route.config?.methodNotAllowed === true) return;
    if (route.schema?.response === undefined) {
      throw new Error(`route ${methods.join(',')} ${route.url} declares no response schema`);
    }
  });
  // Responses are written from the contract's schema by fast-json-stringify: faster than
  // JSON.stringify on lists, and a property the contract does not name (a hash, an internal
  // column added to a row) is dropped instead of sent. The schema is the allow-list.
  app.setSerializerCompiler(({ schema }) => responseSerializer(schema as ZodType));
}

const serializers = new WeakMap<ZodType, (data: unknown) => string>();

/** One compiled serializer per contract schema, shared by every route that answers with it. */
export function responseSerializer(schema: ZodType): (data: unknown) => string {
  let serialize = serializers.get(schema);
  if (serialize === undefined) {
    serialize = fastJson(toResponseJsonSchema(schema) as unknown as Parameters<typeof fastJson>[0]);
    serializers.set(schema, serialize);
  }
  return serialize;
}

/** The JSON Schema of what the server sends (zod's output side: after transforms, defaults set). */
export function toResponseJsonSchema(schema: ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any', target: 'draft-7' });
}
