import type { FastifyInstance } from 'fastify';
import type { ZodType } from 'zod';
import { AppError } from '../lib/app-error.js';

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
  // Responses are plain objects built by our own code; JSON.stringify is enough.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
}
