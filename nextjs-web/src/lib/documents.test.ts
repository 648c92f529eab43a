/**
 * Contract check: every GraphQL document the Web node sends validates against the API schema
 * (the composed supergraph's API schema) and the stream schema (schema/stream.graphql).
 */
import { describe, expect, it } from '@jest/globals';
import { buildSchema, parse, print, validate, type DocumentNode } from 'graphql';
import { apiStreamSdl } from '@gotify/schema';
import { composeSubgraphs } from '@gotify/schema/composition';
import { FACETS_QUERY, REPLICAS_QUERY, SONGS_QUERY } from './graphql';
import { SONG_CHUNKS } from '../player/wsTransport';

describe('GraphQL documents match the schemas', () => {
  const result = composeSubgraphs();
  if (!result.schema) throw new Error('composition failed');
  const api = result.schema.toAPISchema().toGraphQLJSSchema();

  it.each([
    ['Songs', SONGS_QUERY],
    ['Facets', FACETS_QUERY],
    ['Replicas', REPLICAS_QUERY],
  ])('%s validates against the supergraph API schema', (_name, doc) => {
    const errors = validate(api, parse(print(doc as DocumentNode)));
    expect(errors.map((e) => e.message)).toEqual([]);
  });

  it('songChunks validates against the stream schema', () => {
    const errors = validate(buildSchema(apiStreamSdl), parse(SONG_CHUNKS));
    expect(errors.map((e) => e.message)).toEqual([]);
  });
});
