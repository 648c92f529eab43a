/**
 * The `Base64` scalar: standard base64 (RFC 4648 §4, with padding) on the wire, `Uint8Array`
 * inside resolvers. Invalid input is refused with BAD_USER_INPUT instead of being decoded leniently
 * (Node's decoder silently skips bad characters, which would store different bytes than sent).
 *
 * Does not: limit sizes (resolvers check chunk sizes; `http.ts` bounds the request body).
 */
import { GraphQLScalarType, Kind } from 'graphql';
import { badInput } from './errors.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes strict base64; throws BAD_USER_INPUT on anything else. */
export function decodeBase64(s: unknown): Uint8Array {
  if (typeof s !== 'string') throw badInput('Base64 value must be a string');
  if (!BASE64.test(s)) throw badInput('Base64 value is not valid standard base64 (RFC 4648, with padding)');
  const buf = Buffer.from(s, 'base64');
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export const Base64Scalar = new GraphQLScalarType<Uint8Array, string>({
  name: 'Base64',
  description: 'Binary data as standard base64 (RFC 4648, with padding).',
  serialize(value: unknown): string {
    if (value instanceof Uint8Array) return encodeBase64(value);
    if (typeof value === 'string' && BASE64.test(value)) return value;
    throw badInput('Base64 cannot represent this value');
  },
  parseValue(value: unknown): Uint8Array {
    return decodeBase64(value);
  },
  parseLiteral(ast): Uint8Array {
    if (ast.kind !== Kind.STRING) throw badInput('Base64 literal must be a string');
    return decodeBase64(ast.value);
  },
});
