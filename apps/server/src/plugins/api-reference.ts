import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import { AppError } from '../lib/app-error.js';
import { API_REFERENCE_PATH, OPENAPI_PATH } from './openapi.js';
import { apiReferenceHeaders } from './security-headers.js';

/**
 * The routes @scalar/fastify-api-reference registers: the bare path, which redirects to the slash
 * form (the page names its script by a relative URL), the page, and its script.
 */
const referenceRoutes: ReadonlySet<string> = new Set([
  API_REFERENCE_PATH,
  `${API_REFERENCE_PATH}/`,
  `${API_REFERENCE_PATH}/js/scalar.js`,
]);

/**
 * The page's settings, written into its one inline script: security-headers.ts allows exactly that
 * script by its hash, so a change here changes the hash (the integration test says which). They
 * keep the page on this server: the document is read from OPENAPI_PATH (given a URL, the plugin
 * serves no copy of its own, which it would send with `Access-Control-Allow-Origin: *`), system
 * fonts replace the font CDN, and Scalar's hosted services (telemetry, the AI agent, MCP, the hosted
 * client) are off. Requests sent from the page's "Test Request" panel go straight to this API.
 */
export const apiReferenceSettings = {
  url: OPENAPI_PATH,
  pageTitle: 'Portcullis API reference',
  withDefaultFonts: false,
  telemetry: false,
  // The button opens Scalar's hosted client with this server's document URL.
  hideClientButton: true,
  showDeveloperTools: 'never',
  agent: { disabled: true },
  mcp: { disabled: true },
} as const;

/**
 * The interactive API reference, for development (API_REFERENCE, off in production unless turned
 * on). Call this before the route policy and the other security plugins add their onRoute hooks,
 * and the returned function once the features are registered (it adds the routes).
 *
 * The plugin takes no route options, so its routes' declarations are added here, by exact path,
 * in an onRoute hook that runs before the security plugins' own: public (the document it renders
 * is public already), documents (HTML and a script, not JSON: no response schema), and answered
 * with the reference page's headers, whose CSP is the only one that allows more than our own files
 * do (security-headers.ts says what and why). Disabled, nothing is registered: the paths are 404
 * like any unknown API path, and the 5 MB script is never even loaded.
 */
export function declareApiReference(
  app: FastifyInstance,
  options: { enabled: boolean },
): () => void {
  if (!options.enabled) return () => undefined;
  app.addHook('onRoute', (route) => {
    if (!referenceRoutes.has(route.url) || route.config?.access !== undefined) return;
    route.config = { ...route.config, access: 'public', surface: 'document', rawResponse: true };
  });

  // Route hooks run after the app's own onRequest hooks, so these headers replace the document
  // headers the security-headers plugin set, on these routes only.
  const sendReferenceHeaders: onRequestHookHandler = (request, reply, done) => {
    reply.headers(apiReferenceHeaders);
    // The plugin builds URLs from the Host header: one that names no host would throw in there
    // and end as a 500, so it is refused here as the malformed request it is.
    if (!URL.canParse(`http://${request.host}/`)) {
      done(new AppError('bad_request'));
      return;
    }
    done();
  };
  return function registerApiReference() {
    void app.register(async (scope) => {
      // Loaded only when enabled; the production bundle keeps it in a chunk of its own.
      const { default: fastifyApiReference } = await import('@scalar/fastify-api-reference');
      await scope.register(fastifyApiReference, {
        routePrefix: API_REFERENCE_PATH,
        configuration: apiReferenceSettings,
        hooks: { onRequest: sendReferenceHeaders },
      });
    });
  };
}
