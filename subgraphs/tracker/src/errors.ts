/** GraphQL errors with stable `extensions.code`. */
import { GraphQLError } from 'graphql';

export type TrackerErrorCode = 'NOT_FOUND' | 'BAD_USER_INPUT' | 'UNAVAILABLE';

export function trackerError(code: TrackerErrorCode, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code } });
}
export const badInput = (message: string): GraphQLError => trackerError('BAD_USER_INPUT', message);
export const notFound = (message: string): GraphQLError => trackerError('NOT_FOUND', message);
