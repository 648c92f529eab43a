/**
 * Depth and cost limits on the real supergraph's API schema, and the operation documents in
 * gateway/src/operations validate against the schemas they are sent to.
 */
import { describe, expect, it } from '@jest/globals';
import {
  buildSchema,
  parse,
  specifiedRules,
  validate,
  getIntrospectionQuery,
  type GraphQLSchema,
} from 'graphql';
import { Supergraph } from '@apollo/federation-internals';
import { apiStreamSdl, peerSdl, supergraphSdl, trackerSdl } from '@gotify/schema';
import { costLimit, depthLimit } from './limits.js';
import { peerOperations, publicOperations, trackerOperations } from './operations.js';
import { MAX_QUERY_COST, MAX_QUERY_DEPTH } from './policy.js';

const apiSchema: GraphQLSchema = Supergraph.build(supergraphSdl).apiSchema().toGraphQLJSSchema();

function check(
  query: string,
  schema = apiSchema,
): readonly { message: string; extensions: Record<string, unknown> }[] {
  return validate(schema, parse(query), [...specifiedRules, depthLimit(), costLimit()]) as never;
}

/** A subgraph SDL as a plain schema (federation directives stripped) for validating documents. */
function subgraphSchema(sdl: string): GraphQLSchema {
  const plain = sdl
    .replace(/extend schema @link\([^)]*\)/, '')
    .replace(/@key\([^)]*\)/g, '')
    .replace(/@shareable/g, '');
  return buildSchema(plain);
}

describe('query limits', () => {
  it('accepts the report operations', () => {
    expect(check(publicOperations.GetSongByID)).toEqual([]);
    expect(check(publicOperations.FilterSongs)).toEqual([]);
    expect(check(publicOperations.StoreSong)).toEqual([]);
  });

  it('accepts the introspection query Apollo Sandbox sends', () => {
    expect(check(getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }))).toEqual([]);
  });

  it('rejects a query nested too deeply, fragments included', () => {
    const deep = 'query { songs { edges { node { audio { replicas { min } } } } } }';
    expect(check(deep)).toEqual([]);
    const ok = check(
      `fragment F on Song { audio { replicas { perChunk } } } query { songs { edges { node { ...F } } } }`,
    );
    expect(ok).toEqual([]);
    // Our API schema cannot nest deeper than 6; a recursive schema shows the rule itself.
    const recursive = buildSchema('type Query { node: Node } type Node { id: ID child: Node }');
    const nest = (n: number): string => (n === 0 ? 'id' : `child { ${nest(n - 1)} }`);
    expect(check(`query { node { ${nest(MAX_QUERY_DEPTH - 2)} } }`, recursive)).toEqual([]);
    expect(
      check(`query { node { ${nest(MAX_QUERY_DEPTH)} } }`, recursive).map((e) => e.extensions.code),
    ).toEqual(['QUERY_TOO_DEEP']);
    // Introspection has its own, higher cap (ofType chains are not limited by graphql-js's own rule).
    const ofType = (n: number): string => (n === 0 ? 'name' : `ofType { ${ofType(n - 1)} }`);
    expect(check(`query { __type(name: "Song") { ${ofType(10)} } }`)).toEqual([]);
    expect(check(`query { __type(name: "Song") { ${ofType(20)} } }`).map((e) => e.extensions.code)).toEqual([
      'QUERY_TOO_DEEP',
    ]);
    expect(MAX_QUERY_DEPTH).toBeGreaterThanOrEqual(5);
  });

  it('rejects a query that is too costly', () => {
    const fields = 'id title artist album genre year trackNumber duration coverArt uploadedAt version';
    const page = `songs(first: 200) { edges { node { ${fields} audio { size mimeType chunkHashes } } } }`;
    const expensive = `query { a: ${page} b: ${page} c: ${page} d: ${page} }`;
    const errs = check(expensive);
    expect(errs.map((e) => e.extensions.code)).toEqual(['QUERY_TOO_COSTLY']);
    expect(Number(errs[0]!.extensions.cost)).toBeGreaterThan(MAX_QUERY_COST);
    // With a variable page size, the cap is assumed.
    const varPage = `songs(first: $n) { edges { node { ${fields} audio { size codec bitrate chunkCount mimeType } } } }`;
    const withVar = `query($n: Int) { a: ${varPage} b: ${varPage} c: ${varPage} }`;
    expect(check(withVar).map((e) => e.extensions.code)).toEqual(['QUERY_TOO_COSTLY']);
    // A small page of the same shape is fine.
    expect(check(`query { songs(first: 10) { edges { node { ${fields} } } } }`)).toEqual([]);
  });

  it('rejects fragment bombs without exploding', () => {
    const frags = ['fragment F0 on Song { id title }'];
    for (let i = 1; i < 30; i++)
      frags.push(`fragment F${i} on Song { ...F${i - 1} a${i}: title ...F${i - 1} }`);
    const bomb = `query { song(id: "x") { ...F29 } } ${frags.join(' ')}`;
    const started = Date.now();
    const errs = check(bomb);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(errs.map((e) => e.extensions?.code)).toContain('QUERY_TOO_COSTLY');
  });
});

describe('operation documents', () => {
  it('validate against the schema they are sent to', () => {
    const stream = buildSchema(apiStreamSdl);
    expect(validate(stream, parse(publicOperations.StreamSong))).toEqual([]);
    const peer = subgraphSchema(peerSdl);
    for (const doc of Object.values(peerOperations)) expect(validate(peer, parse(doc))).toEqual([]);
    const tracker = subgraphSchema(trackerSdl);
    for (const doc of Object.values(trackerOperations)) expect(validate(tracker, parse(doc))).toEqual([]);
  });
});
