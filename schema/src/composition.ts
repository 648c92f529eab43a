/**
 * Federation 2 composition of the peer and tracker subgraphs. Pure: reads nothing but the
 * SDL strings, writes nothing (the compose script writes supergraph.graphql).
 */
import { parse } from 'graphql';
import { composeServices, type CompositionResult } from '@apollo/composition';
import { PEER_SUBGRAPH, PEER_URL, TRACKER_SUBGRAPH, TRACKER_URL, peerSdl, trackerSdl } from './sdl.js';

/** Compose both subgraphs; the raw result, carrying either errors or the supergraph and hints. */
export function composeSubgraphs(): CompositionResult {
  return composeServices([
    { name: PEER_SUBGRAPH, url: PEER_URL, typeDefs: parse(peerSdl) },
    { name: TRACKER_SUBGRAPH, url: TRACKER_URL, typeDefs: parse(trackerSdl) },
  ]);
}

/** Compose both subgraphs into supergraph SDL; throws an Error listing every composition error. */
export function composeSupergraph(): string {
  const result = composeSubgraphs();
  if (result.errors) {
    const detail = result.errors.map((e) => `- ${e.message}`).join('\n');
    throw new Error(`supergraph composition failed:\n${detail}`);
  }
  return result.supergraphSdl;
}
