/**
 * `npm run compose`: compose the subgraphs and write schema/supergraph.graphql.
 * Exits 1 and prints every error when composition fails; prints hints otherwise.
 * Imports composition.ts, not index.ts, because index.ts reads the file this script writes.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { composeSubgraphs } from './composition.js';
import { SUPERGRAPH_FILE } from './sdl.js';

const result = composeSubgraphs();
if (result.errors) {
  console.error(`composition failed with ${result.errors.length} error(s):`);
  for (const error of result.errors) {
    const code = (error.extensions as { code?: unknown } | undefined)?.code;
    console.error(`- ${typeof code === 'string' ? `[${code}] ` : ''}${error.message}`);
  }
  process.exit(1);
}
for (const hint of result.hints) console.warn(`hint: ${hint.toString()}`);
writeFileSync(
  SUPERGRAPH_FILE,
  result.supergraphSdl.endsWith('\n') ? result.supergraphSdl : `${result.supergraphSdl}\n`,
);
console.log(`wrote ${fileURLToPath(SUPERGRAPH_FILE)}`);
