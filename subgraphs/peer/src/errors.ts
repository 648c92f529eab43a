/**
 * GraphQL errors with stable `extensions.code`s, the only error shapes the Peer subgraph returns.
 *
 * Codes: NOT_FOUND (unknown song/blob), BAD_USER_INPUT (invalid argument, oversized chunk, past the
 * end), UNAVAILABLE (known data that no live replica could serve right now: retry elsewhere),
 * PAYLOAD_TOO_LARGE (HTTP body over the limit, see `http.ts`).
 */
import { GraphQLError } from 'graphql';

export type PeerErrorCode = 'NOT_FOUND' | 'BAD_USER_INPUT' | 'UNAVAILABLE' | 'PAYLOAD_TOO_LARGE';

export function peerError(
  code: PeerErrorCode,
  message: string,
  extra: Record<string, unknown> = {},
): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extra } });
}

export const notFound = (message: string, extra?: Record<string, unknown>) =>
  peerError('NOT_FOUND', message, extra);
export const badInput = (message: string, extra?: Record<string, unknown>) =>
  peerError('BAD_USER_INPUT', message, extra);
export const unavailable = (message: string, extra?: Record<string, unknown>) =>
  peerError('UNAVAILABLE', message, extra);
