/**
 * Benchmark dispatcher: `npm run bench -- <name> [flags]` imports `./<name>.ts` and calls its
 * `run(argv)` with the remaining arguments. Add a bench by adding a file that exports `run`.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const [name, ...argv] = process.argv.slice(2);
if (!name || !/^[a-z0-9-]+$/.test(name) || name === 'run') {
  console.error('usage: npm run bench -- <name> [flags]   (name = a file bench/<name>.ts)');
  process.exit(2);
}
const file = fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
if (!existsSync(file)) {
  console.error(`no benchmark bench/${name}.ts`);
  process.exit(2);
}
const mod = (await import(`./${name}.ts`)) as { run?: (argv: string[]) => Promise<void> };
if (typeof mod.run !== 'function') {
  console.error(`bench/${name}.ts does not export run(argv)`);
  process.exit(2);
}
await mod.run(argv);
process.exit(0);
