/**
 * `npm run sim -- --nodes N --churn F --lookups L --json`: runs the in-memory DHT simulation
 * (engine.ts) and prints one JSON line (or a readable summary without --json).
 */
import { Command } from 'commander';
import { runSim } from './engine.js';

const program = new Command()
  .name('sim')
  .description('Simulate a Gotify Kademlia network in memory')
  .option('--nodes <n>', 'number of nodes', '1000')
  .option('--churn <f>', 'fraction of nodes leaving and joining during the run', '0')
  .option('--lookups <n>', 'random lookups', '1000')
  .option('--values <n>', 'values stored before churn', '100')
  .option('--waves <n>', 'churn waves (one re-replication round after each)', '10')
  .option('--k <n>', 'bucket size', '20')
  .option('--alpha <n>', 'lookup parallelism', '3')
  .option('--r <n>', 'replicas per value', '3')
  .option('--seed <n>', 'PRNG seed', '1')
  .option('--json', 'print one JSON line')
  .parse();

const f = program.opts<Record<string, string | boolean>>();
const num = (name: string) => {
  const v = Number(f[name]);
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} must be a non-negative number`);
  return v;
};
const report = await runSim({
  nodes: num('nodes'),
  churn: num('churn'),
  lookups: num('lookups'),
  values: num('values'),
  waves: num('waves'),
  k: num('k'),
  alpha: num('alpha'),
  r: num('r'),
  seed: num('seed'),
});
if (f.json) console.log(JSON.stringify(report));
else console.log(report);
process.exit(0);
