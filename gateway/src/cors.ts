/**
 * CORS for the Web nodes: browsers call the API node directly (GraphQL, uploads, covers, the
 * websocket stream), so the allowed origins are configured here; preflights are answered with
 * the headers the web needs (content-type, apollo-require-preflight, authorization, x-filename).
 *
 * What this module does not do: CSRF prevention (Apollo Server's own, left on for /graphql).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CORS_ALLOWED_HEADERS, CORS_ALLOWED_METHODS, CORS_MAX_AGE_SECONDS } from './policy.js';

/** '*' (any origin) or the exact origins allowed, e.g. ['http://127.0.0.1:3000']. */
export type CorsOrigins = '*' | string[];

/** Whether a request's Origin may use the API (requests without Origin are not browsers: allowed). */
export function originAllowed(origins: CorsOrigins, origin: string | undefined): boolean {
  if (!origin || origins === '*') return true;
  return origins.includes(origin);
}

/**
 * Set CORS headers on `res`; answers preflights (OPTIONS) itself and returns true when it did.
 */
export function applyCors(req: IncomingMessage, res: ServerResponse, origins: CorsOrigins): boolean {
  const origin = req.headers.origin;
  if (origin && originAllowed(origins, origin)) {
    res.setHeader('access-control-allow-origin', origins === '*' ? '*' : origin);
    if (origins !== '*') res.setHeader('vary', 'Origin');
    res.setHeader('access-control-expose-headers', 'content-type, content-length');
  }
  if (req.method !== 'OPTIONS' || !req.headers['access-control-request-method']) return false;
  if (origin && originAllowed(origins, origin)) {
    res.setHeader('access-control-allow-methods', CORS_ALLOWED_METHODS);
    res.setHeader('access-control-allow-headers', CORS_ALLOWED_HEADERS);
    res.setHeader('access-control-max-age', String(CORS_MAX_AGE_SECONDS));
  }
  res.statusCode = 204;
  res.setHeader('content-length', '0');
  res.end();
  return true;
}
