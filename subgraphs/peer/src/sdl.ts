/**
 * The Peer subgraph SDL (schema/peer.graphql, owned by @gotify/schema), parsed once.
 */
import { readFileSync } from 'node:fs';
import { parse, type DocumentNode } from 'graphql';

/** The SDL text of schema/peer.graphql. */
export const PEER_SDL: string = readFileSync(new URL('../../../schema/peer.graphql', import.meta.url), 'utf8');

export const peerTypeDefs: DocumentNode = parse(PEER_SDL);
