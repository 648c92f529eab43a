/**
 * Query limits as GraphQL validation rules (passed to ApolloServer `validationRules`): a depth
 * limit and a static cost limit, both computed per operation with fragments expanded.
 *
 * Cost model: every field costs 1, times the multiplier of its list ancestors. A field with a
 * `first` argument multiplies its subtree by `first` (a variable counts as MAX_PAGE_SIZE, absent
 * as the argument's schema default); any other list of objects, outside a paged subtree, by
 * ASSUMED_LIST_SIZE. Introspection fields (`__schema`, `__type`) are free but depth-capped
 * separately (Apollo Sandbox needs deep `ofType` nesting).
 *
 * What this module does not do: page size caps (the trackers clamp `first`), body size caps
 * (http.ts) or websocket caps (stream-server.ts).
 */
import {
  GraphQLError,
  getNamedType,
  getNullableType,
  isCompositeType,
  isListType,
  isObjectType,
  isInterfaceType,
  Kind,
  type ASTVisitor,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import {
  ASSUMED_LIST_SIZE,
  MAX_INTROSPECTION_DEPTH,
  MAX_PAGE_SIZE,
  MAX_QUERY_COST,
  MAX_QUERY_DEPTH,
} from './policy.js';

type Fragments = Map<string, FragmentDefinitionNode>;

/** Field visits allowed while measuring one document: stops fragment bombs (exponential spreads). */
export const MAX_VALIDATION_WORK = 100_000;

/** Thrown when measuring a document costs more than MAX_VALIDATION_WORK visits. */
class WorkExceeded extends Error {}
let work = 0;

function fragmentsOf(context: ValidationContext): Fragments {
  const map: Fragments = new Map();
  for (const def of context.getDocument().definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION) map.set(def.name.value, def);
  }
  return map;
}

/** Every field reachable in a selection set, with inline and named fragments flattened. */
function fieldsOf(
  set: SelectionSetNode | undefined,
  fragments: Fragments,
  seen: Set<string> = new Set(),
): FieldNode[] {
  const out: FieldNode[] = [];
  for (const sel of set?.selections ?? []) {
    if (++work > MAX_VALIDATION_WORK) throw new WorkExceeded();
    if (sel.kind === Kind.FIELD) out.push(sel);
    else if (sel.kind === Kind.INLINE_FRAGMENT) out.push(...fieldsOf(sel.selectionSet, fragments, seen));
    else if (!seen.has(sel.name.value)) {
      const frag = fragments.get(sel.name.value);
      // A fragment spread twice at one level is counted once; cycles are rejected by graphql's own rule.
      if (frag) out.push(...fieldsOf(frag.selectionSet, fragments, new Set([...seen, sel.name.value])));
    }
  }
  return out;
}

function depthOf(
  set: SelectionSetNode | undefined,
  fragments: Fragments,
  introspection: boolean,
  guard: number,
): { depth: number; introspectionDepth: number } {
  let depth = 0;
  let introspectionDepth = 0;
  if (guard > MAX_INTROSPECTION_DEPTH + 2) return { depth: guard, introspectionDepth: guard };
  for (const field of fieldsOf(set, fragments)) {
    const isIntro = introspection || field.name.value === '__schema' || field.name.value === '__type';
    const below = field.selectionSet
      ? depthOf(field.selectionSet, fragments, isIntro, guard + 1)
      : { depth: 0, introspectionDepth: 0 };
    if (isIntro) introspectionDepth = Math.max(introspectionDepth, 1 + below.introspectionDepth);
    else depth = Math.max(depth, 1 + below.depth);
    introspectionDepth = Math.max(introspectionDepth, below.introspectionDepth);
  }
  return { depth, introspectionDepth };
}

/** Run a measurement under the work budget; undefined when the budget ran out. */
function measure<T>(fn: () => T): T | undefined {
  work = 0;
  try {
    return fn();
  } catch (err) {
    if (err instanceof WorkExceeded) return undefined;
    throw err;
  }
}

function tooComplex(context: ValidationContext, op: OperationDefinitionNode): void {
  context.reportError(
    new GraphQLError('Operation is too complex to measure (fragment spreads multiply beyond the limit).', {
      nodes: [op],
      extensions: { code: 'QUERY_TOO_COSTLY' },
    }),
  );
}

/** Reject operations nested deeper than `max` (introspection: `maxIntrospection`). */
export function depthLimit(
  max = MAX_QUERY_DEPTH,
  maxIntrospection = MAX_INTROSPECTION_DEPTH,
): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = fragmentsOf(context);
    return {
      OperationDefinition(op) {
        const measured = measure(() => depthOf(op.selectionSet, fragments, false, 0));
        if (measured === undefined) return tooComplex(context, op);
        const { depth, introspectionDepth } = measured;
        if (depth > max || introspectionDepth > maxIntrospection) {
          context.reportError(
            new GraphQLError(
              `Operation is nested too deeply (${Math.max(depth, introspectionDepth)} levels; limit ${max}).`,
              {
                nodes: [op],
                extensions: { code: 'QUERY_TOO_DEEP', limit: max },
              },
            ),
          );
        }
      },
    };
  };
}

function multiplierOf(
  field: FieldNode,
  def: GraphQLField<unknown, unknown> | undefined,
  paged: boolean,
): { factor: number; paged: boolean } {
  const first = field.arguments?.find((a) => a.name.value === 'first');
  if (first) {
    if (first.value.kind === Kind.INT)
      return { factor: Math.max(0, Math.min(Number(first.value.value), MAX_PAGE_SIZE)), paged: true };
    return { factor: MAX_PAGE_SIZE, paged: true };
  }
  const firstDef = def?.args.find((a) => a.name === 'first');
  if (firstDef)
    return { factor: Math.min(Number(firstDef.defaultValue ?? MAX_PAGE_SIZE), MAX_PAGE_SIZE), paged: true };
  if (def && !paged && isListType(getNullableType(def.type)) && isCompositeType(getNamedType(def.type))) {
    return { factor: ASSUMED_LIST_SIZE, paged };
  }
  return { factor: 1, paged };
}

function costOf(
  set: SelectionSetNode | undefined,
  type: GraphQLCompositeType | undefined,
  fragments: Fragments,
  paged: boolean,
  depth: number,
): number {
  if (depth > MAX_QUERY_DEPTH + MAX_INTROSPECTION_DEPTH) return 0; // depthLimit reports it
  let cost = 0;
  for (const field of fieldsOf(set, fragments)) {
    if (field.name.value.startsWith('__')) continue;
    const def =
      type && (isObjectType(type) || isInterfaceType(type)) ? type.getFields()[field.name.value] : undefined;
    const { factor, paged: nowPaged } = multiplierOf(field, def, paged);
    const childType = def ? getNamedType(def.type) : undefined;
    const inner = field.selectionSet
      ? costOf(
          field.selectionSet,
          childType && isCompositeType(childType) ? childType : undefined,
          fragments,
          nowPaged,
          depth + 1,
        )
      : 0;
    cost += 1 + factor * inner;
  }
  return cost;
}

/** Static cost of every operation of a document (exported for tests and logs). */
export function operationCosts(context: ValidationContext): number[] {
  const fragments = fragmentsOf(context);
  const schema = context.getSchema();
  const costs: number[] = [];
  for (const def of context.getDocument().definitions) {
    if (def.kind !== Kind.OPERATION_DEFINITION) continue;
    const root = schema.getRootType(def.operation) ?? undefined;
    costs.push(measure(() => costOf(def.selectionSet, root, fragments, false, 0)) ?? Infinity);
  }
  return costs;
}

/** Reject operations whose static cost exceeds `max`. */
export function costLimit(max = MAX_QUERY_COST): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = fragmentsOf(context);
    const schema = context.getSchema();
    return {
      OperationDefinition(op) {
        const root = schema.getRootType(op.operation) ?? undefined;
        const cost = measure(() => costOf(op.selectionSet, root, fragments, false, 0));
        if (cost === undefined) return tooComplex(context, op);
        if (cost > max) {
          context.reportError(
            new GraphQLError(
              `Operation is too expensive (cost ${cost}; limit ${max}). Ask for fewer items or fields.`,
              {
                nodes: [op],
                extensions: { code: 'QUERY_TOO_COSTLY', cost, limit: max },
              },
            ),
          );
        }
      },
    };
  };
}

/** The API node's validation rules. */
export const apiValidationRules: ValidationRule[] = [depthLimit(), costLimit()];
