import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../lib/app-error.js';
import { metrics } from '../lib/metrics.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A GET another site may navigate to (a provider's callback); refused by default. */
    crossSiteNavigation?: true;
  }
}

/** What a browser says about a request (W3C Fetch Metadata Request Headers). */
export interface FetchMetadata {
  site: string | undefined;
  mode: string | undefined;
  origin: string | undefined;
}

export type IsolationVerdict =
  'allow' | 'cross-site' | 'cross-site-no-cors' | 'cross-site-navigation';

/**
 * The resource isolation policy (web.dev "Protect your resources from web attacks with Fetch
 * Metadata"), for the API only. A browser tells us where a request comes from; a request another
 * site started is refused before any handler runs, which stops cross-site leaks (XS-Leaks: timing,
 * error and size probes through <img>, <script>, window.open), cross-site script inclusion of JSON
 * and CSRF in browsers where SameSite is bypassed, whatever the route does.
 *
 * - No `Sec-Fetch-Site`: not a browser, or an old one: allowed (the other defences still apply).
 * - `same-origin`, `same-site`, `none` (typed in the address bar, a bookmark): allowed.
 * - `cross-site`: allowed only as a CORS request (`Sec-Fetch-Mode: cors`) from an origin CORS
 *   lets in; a `no-cors` subresource, a navigation or a form post from another site never is.
 *
 * Pure, so each combination is tested without a server.
 */
export function judgeFetchMetadata(
  metadata: FetchMetadata,
  corsOrigins: ReadonlySet<string>,
): IsolationVerdict {
  const { site, mode, origin } = metadata;
  if (site === undefined || site === 'same-origin' || site === 'same-site' || site === 'none') {
    return 'allow';
  }
  // Anything else (`cross-site`, or a value from a future spec) is treated as cross-site.
  if (mode === 'navigate' || mode === 'nested-navigate') return 'cross-site-navigation';
  if (mode === 'no-cors') return 'cross-site-no-cors';
  if (mode === 'cors' && origin !== undefined && corsOrigins.has(origin)) return 'allow';
  return 'cross-site';
}

function metadataOf(request: FastifyRequest): FetchMetadata {
  const header = (name: string) => {
    const value = request.headers[name];
    return typeof value === 'string' ? value.trim().toLowerCase() : undefined;
  };
  return {
    site: header('sec-fetch-site'),
    mode: header('sec-fetch-mode'),
    // Compared exactly, as CORS does: an Origin differing in case is not the allowed one.
    origin: request.headers.origin,
  };
}

/**
 * Applies to matched API routes. Documents (the SPA and its files) may be linked to and loaded
 * from anywhere, and an unmatched path reveals nothing: it is a 404 for every site alike (the SPA
 * fallback answers cross-site navigations to client-side routes with the app).
 */
export function registerFetchMetadata(
  app: FastifyInstance,
  options: { corsOrigins: readonly string[] },
): void {
  const corsOrigins = new Set(options.corsOrigins);
  app.addHook('onRequest', (request, _reply, done) => {
    if (request.policy.surface !== 'api' || request.is404) {
      done();
      return;
    }
    const verdict = judgeFetchMetadata(metadataOf(request), corsOrigins);
    // A provider's redirect back (ADR 016) is a cross-site navigation by design; the route opts
    // in, and its own browser-bound flow cookie and state check stand in for this one.
    const navigationAllowed =
      verdict === 'cross-site-navigation' &&
      request.routeOptions.config.crossSiteNavigation === true;
    if (verdict === 'allow' || navigationAllowed) {
      done();
      return;
    }
    metrics.crossSiteRefusals.inc();
    request.log.info(
      { event: 'cross_site_request_refused', verdict },
      'cross-site request refused',
    );
    done(new AppError('cross_site_request'));
  });
}
