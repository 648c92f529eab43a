/**
 * The Peer subgraph SDL, owned by @gotify/schema (schema/peer.graphql), parsed once.
 */
import { peerSdl } from '@gotify/schema';
import { parse, type DocumentNode } from 'graphql';

/** The SDL text of schema/peer.graphql. */
export const PEER_SDL: string = peerSdl;

export const peerTypeDefs: DocumentNode = parse(PEER_SDL);
