/**
 * A validation rule refusing operations nested deeper than {@link MAX_QUERY_DEPTH} fields, so a
 * crafted query cannot make a subgraph do unbounded work (used by the peer and tracker subgraphs). Fragments are followed (with a guard
 * against cycles, which graphql's own rules report separately); introspection fields (`__schema`,
 * `__type`) are not counted, since their depth is bounded by the schema itself and tools need it.
 *
 * Does not: limit breadth or cost (the body size limit in `http.ts` bounds breadth).
 */
import { GraphQLError, Kind } from 'graphql';
import type { ASTVisitor, FragmentDefinitionNode, SelectionSetNode, ValidationContext } from 'graphql';

/** Deepest field nesting accepted: our deepest real query (`_entities → Song → audio → replicas → perChunk`) is 4. */
export const MAX_QUERY_DEPTH = 10;

function depthOf(
  set: SelectionSetNode | undefined,
  fragments: Record<string, FragmentDefinitionNode>,
  seen: Set<string>,
): number {
  if (!set) return 0;
  let max = 0;
  for (const sel of set.selections) {
    let d = 0;
    switch (sel.kind) {
      case Kind.FIELD:
        if (sel.name.value.startsWith('__')) continue;
        d = sel.selectionSet ? 1 + depthOf(sel.selectionSet, fragments, seen) : 1;
        break;
      case Kind.INLINE_FRAGMENT:
        d = depthOf(sel.selectionSet, fragments, seen);
        break;
      case Kind.FRAGMENT_SPREAD: {
        const name = sel.name.value;
        const frag = fragments[name];
        if (!frag || seen.has(name)) continue;
        seen.add(name);
        d = depthOf(frag.selectionSet, fragments, seen);
        seen.delete(name);
        break;
      }
      default: {
        const never: never = sel;
        throw new Error(`unknown selection ${String(never)}`);
      }
    }
    if (d > max) max = d;
  }
  return max;
}

/** Builds the rule for `validationRules` of Apollo Server. */
export function depthLimitRule(maxDepth: number = MAX_QUERY_DEPTH) {
  return (context: ValidationContext): ASTVisitor => {
    const doc = context.getDocument();
    const fragments: Record<string, FragmentDefinitionNode> = {};
    for (const def of doc.definitions)
      if (def.kind === Kind.FRAGMENT_DEFINITION) fragments[def.name.value] = def;
    return {
      OperationDefinition(op) {
        const depth = depthOf(op.selectionSet, fragments, new Set());
        if (depth > maxDepth) {
          context.reportError(
            new GraphQLError(`Query depth ${depth} exceeds the limit of ${maxDepth}`, {
              nodes: [op],
              extensions: { code: 'BAD_USER_INPUT' },
            }),
          );
        }
      },
    };
  };
}
