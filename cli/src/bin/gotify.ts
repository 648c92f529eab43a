/**
 * `gotify node <role> [flags]`: runs ONE node of any role, for running Gotify across several
 * machines. Each role's flags are its own bin's (see `gotify node <role> --help`).
 * Does not run a cluster: `npm start` (./start.ts) does that on one machine.
 */
import { Command } from 'commander';

/** Entry module of each role, relative to this file. */
const ROLE_ENTRIES = {
  dns: '../../../dns/src/bin.ts',
  api: '../../../gateway/src/bin.ts',
  peer: '../../../subgraphs/peer/src/bin.ts',
  tracker: '../../../subgraphs/tracker/src/bin.ts',
  web: '../../../nextjs-web/server.ts',
} as const;
type Role = keyof typeof ROLE_ENTRIES;

const program = new Command('gotify')
  .description('Gotify: distributed music streaming')
  .enablePositionalOptions();
program
  .command('node')
  .description('run one node of a role: dns | api | peer | tracker | web')
  .argument('<role>', 'the node role')
  .allowUnknownOption(true)
  .allowExcessArguments(true)
  .passThroughOptions(true)
  .helpOption(false)
  .action(async (role: string) => {
    if (!(role in ROLE_ENTRIES)) {
      console.error(`unknown role "${role}"; expected one of: ${Object.keys(ROLE_ENTRIES).join(', ')}`);
      process.exit(2);
    }
    // Hand the remaining flags to the role's own bin, as if it had been started directly.
    const at = process.argv.indexOf(role);
    process.argv = [process.argv[0]!, process.argv[1]!, ...process.argv.slice(at + 1)];
    await import(new URL(ROLE_ENTRIES[role as Role], import.meta.url).href);
  });
await program.parseAsync(process.argv);
