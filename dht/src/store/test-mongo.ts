/**
 * A real MongoDB for contract tests: MONGODB_URI when set, else mongodb-memory-server when it can
 * start a local mongod (runtime download disabled: these machines have no route to the binary
 * mirror). With neither, the caller gets the reason to report its MongoDB suite as skipped.
 * Never a fake. Used by the store, peer and tracker contract suites.
 */

/** How long mongodb-memory-server may take to start a local mongod before we give up. */
export const MEMORY_SERVER_START_MS = 15_000;

export type TestMongo = { uri: string; stop(): Promise<void> } | { skip: string };

export async function startTestMongo(): Promise<TestMongo> {
  if (process.env.MONGODB_URI) return { uri: process.env.MONGODB_URI, stop: async () => {} };
  process.env.MONGOMS_RUNTIME_DOWNLOAD ??= 'false';
  try {
    const { MongoMemoryServer } = await import('mongodb-memory-server');
    let timer: NodeJS.Timeout | undefined;
    const server = await Promise.race([
      MongoMemoryServer.create(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no mongod within ${MEMORY_SERVER_START_MS} ms`)),
          MEMORY_SERVER_START_MS,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    return { uri: server.getUri(), stop: async () => void (await server.stop()) };
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
    return { skip: `no MONGODB_URI and mongodb-memory-server cannot start mongod (${reason})` };
  }
}
