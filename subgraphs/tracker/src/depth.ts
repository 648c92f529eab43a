/**
 * Query depth limit as a GraphQL validation rule. Introspection fields (`__schema`, `__type`) are
 * exempt so Apollo Sandbox keeps working; everything else is counted through fragments.
 */
import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';

function depthOf(
  set: SelectionSetNode | undefined,
  fragments: Record<string, FragmentDefinitionNode>,
  seen: Set<string>,
): number {
  if (!set) return 0;
  let max = 0;
  for (const sel of set.selections) {
    switch (sel.kind) {
      case Kind.FIELD:
        if (sel.name.value.startsWith('__')) continue;
        max = Math.max(max, 1 + depthOf(sel.selectionSet, fragments, seen));
        break;
      case Kind.INLINE_FRAGMENT:
        max = Math.max(max, depthOf(sel.selectionSet, fragments, seen));
        break;
      case Kind.FRAGMENT_SPREAD: {
        const name = sel.name.value;
        if (seen.has(name)) continue; // cycles are reported by NoFragmentCycles
        const frag = fragments[name];
        if (frag) max = Math.max(max, depthOf(frag.selectionSet, fragments, new Set([...seen, name])));
        break;
      }
      default: {
        const never: never = sel;
        throw new Error(`unknown selection ${String(never)}`);
      }
    }
  }
  return max;
}

/** Validation rule refusing operations deeper than `max` fields (code BAD_USER_INPUT). */
export function depthLimit(max: number): (context: ValidationContext) => ASTVisitor {
  return (context) => ({
    OperationDefinition(op) {
      const fragments: Record<string, FragmentDefinitionNode> = {};
      for (const d of context.getDocument().definitions)
        if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
      const depth = depthOf(op.selectionSet, fragments, new Set());
      if (depth > max) {
        context.reportError(
          new GraphQLError(`query depth ${depth} exceeds the limit of ${max}`, {
            nodes: [op],
            extensions: { code: 'BAD_USER_INPUT' },
          }),
        );
      }
    },
  });
}
