import { readFileSync } from 'node:fs';
import {
  Kind,
  buildSchema,
  getNamedType,
  isObjectType,
  parse,
  type DocumentNode,
  type FieldDefinitionNode,
  type InputValueDefinitionNode,
  type ObjectTypeDefinitionNode,
  type TypeNode,
} from 'graphql';
import { composeSubgraphs } from './composition.js';
import { SUPERGRAPH_FILE, apiStreamSdl, peerSdl, trackerSdl } from './sdl.js';

const subgraphs: Array<[string, string]> = [
  ['peer', peerSdl],
  ['tracker', trackerSdl],
];

/** Field and argument names that carry bytes; each must be typed Base64. */
const BINARY_NAMES = new Set(['data']);

function namedTypeOf(type: TypeNode): string {
  return type.kind === Kind.NAMED_TYPE ? type.name.value : namedTypeOf(type.type);
}

function objectTypes(doc: DocumentNode): ObjectTypeDefinitionNode[] {
  return doc.definitions.filter((d): d is ObjectTypeDefinitionNode => d.kind === Kind.OBJECT_TYPE_DEFINITION);
}

/** Every field and argument (of fields and of input types) in a document. */
function valueSlots(
  doc: DocumentNode,
): Array<{ where: string; node: FieldDefinitionNode | InputValueDefinitionNode }> {
  const out: Array<{ where: string; node: FieldDefinitionNode | InputValueDefinitionNode }> = [];
  for (const def of doc.definitions) {
    if (def.kind === Kind.OBJECT_TYPE_DEFINITION || def.kind === Kind.OBJECT_TYPE_EXTENSION) {
      for (const field of def.fields ?? []) {
        out.push({ where: `${def.name.value}.${field.name.value}`, node: field });
        for (const arg of field.arguments ?? [])
          out.push({ where: `${def.name.value}.${field.name.value}(${arg.name.value})`, node: arg });
      }
    }
    if (def.kind === Kind.INPUT_OBJECT_TYPE_DEFINITION) {
      for (const field of def.fields ?? [])
        out.push({ where: `${def.name.value}.${field.name.value}`, node: field });
    }
  }
  return out;
}

describe('supergraph composition', () => {
  it('composes without errors', () => {
    const result = composeSubgraphs();
    expect(result.errors?.map((e) => e.message) ?? []).toEqual([]);
  });

  it('matches the committed schema/supergraph.graphql (run `npm run compose` after editing a subgraph)', () => {
    const result = composeSubgraphs();
    if (result.errors) throw new Error(result.errors.map((e) => e.message).join('\n'));
    const committed = readFileSync(SUPERGRAPH_FILE, 'utf8');
    expect(committed.trimEnd()).toBe(result.supergraphSdl.trimEnd());
  });

  it('records the logical subgraph urls, not live addresses', () => {
    const result = composeSubgraphs();
    expect(result.supergraphSdl).toContain('url: "http://peer.gotify.internal/graphql"');
    expect(result.supergraphSdl).toContain('url: "http://tracker.gotify.internal/graphql"');
  });
});

describe.each(subgraphs)('%s subgraph', (name, sdl) => {
  const doc = parse(sdl);

  it('declares no Subscription (streaming belongs to the API node schema)', () => {
    const names = doc.definitions.flatMap((d) => ('name' in d && d.name ? [d.name.value] : []));
    expect(names).not.toContain('Subscription');
    const schemaDefs = doc.definitions.filter(
      (d) => d.kind === Kind.SCHEMA_DEFINITION || d.kind === Kind.SCHEMA_EXTENSION,
    );
    for (const def of schemaDefs) {
      const ops = 'operationTypes' in def ? (def.operationTypes ?? []) : [];
      expect(ops.map((o) => o.operation)).not.toContain('subscription');
    }
  });

  it('makes Song an entity keyed by id', () => {
    const song = objectTypes(doc).find((t) => t.name.value === 'Song');
    expect(song).toBeDefined();
    const keys = (song?.directives ?? []).filter((d) => d.name.value === 'key');
    const fields = keys.flatMap((k) =>
      (k.arguments ?? [])
        .filter((a) => a.name.value === 'fields')
        .map((a) => (a.value.kind === Kind.STRING ? a.value.value : '')),
    );
    expect(fields).toEqual(['id']);
    const id = song?.fields?.find((f) => f.name.value === 'id');
    expect(id && namedTypeOf(id.type)).toBe('ID');
  });
});

describe.each([
  ['peer', peerSdl],
  ['stream', apiStreamSdl],
])('binary fields of %s', (_name, sdl) => {
  const doc = parse(sdl);

  it('declares the Base64 scalar and types every binary field and argument with it', () => {
    expect(
      doc.definitions.some((d) => d.kind === Kind.SCALAR_TYPE_DEFINITION && d.name.value === 'Base64'),
    ).toBe(true);
    const binary = valueSlots(doc).filter((s) => BINARY_NAMES.has(s.node.name.value));
    expect(binary.length).toBeGreaterThan(0);
    for (const slot of binary)
      expect([slot.where, namedTypeOf(slot.node.type)]).toEqual([slot.where, 'Base64']);
  });
});

describe('API node stream schema', () => {
  const schema = buildSchema(apiStreamSdl);

  it('streams SongChunk through songChunks(songId, fromIndex = 0)', () => {
    const field = schema.getSubscriptionType()?.getFields().songChunks;
    expect(field).toBeDefined();
    expect(String(field?.type)).toBe('SongChunk!');
    expect(field?.args.map((a) => [a.name, String(a.type), a.defaultValue])).toEqual([
      ['songId', 'ID!', undefined],
      ['fromIndex', 'Int', 0],
    ]);
  });

  it('describes every SongChunk field, and data is Base64!', () => {
    const chunk = schema.getType('SongChunk');
    if (!isObjectType(chunk)) throw new Error('SongChunk is not an object type');
    const fields = chunk.getFields();
    expect(Object.keys(fields).sort()).toEqual(
      [
        'data',
        'durationSeconds',
        'hash',
        'index',
        'mimeType',
        'offset',
        'size',
        'songId',
        'songSize',
        'total',
      ].sort(),
    );
    for (const f of Object.values(fields)) expect([f.name, Boolean(f.description)]).toEqual([f.name, true]);
    expect(String(fields.data.type)).toBe('Base64!');
    expect(getNamedType(fields.durationSeconds.type).name).toBe('Float');
    expect(String(fields.durationSeconds.type)).toBe('Float');
  });

  it('answers streamInfo on Query', () => {
    expect(String(schema.getQueryType()?.getFields().streamInfo?.type)).toBe('StreamInfo!');
  });
});
