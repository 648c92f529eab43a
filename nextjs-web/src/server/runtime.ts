/**
 * The Web node's server-side singletons as Next route handlers and server components see them.
 * server.ts installs a directory built with @gotify/dns discovery on globalThis before Next
 * handles requests; under plain `next start` one is built here from the environment.
 */
import 'server-only';
import { readConfig, type WebConfig } from './config';
import { defaultDirectory, type Directory } from './directory';

/** What server.ts shares with the Next handlers (same process). */
export interface WebRuntime {
  config: WebConfig;
  directory: Directory;
  startedAt: number;
  phase: () => string;
}

const g = globalThis as unknown as { __gotifyWeb?: WebRuntime };

export function runtime(): WebRuntime {
  if (!g.__gotifyWeb) {
    const config = readConfig();
    g.__gotifyWeb = {
      config,
      directory: defaultDirectory(config),
      startedAt: Date.now(),
      phase: () => 'serving',
    };
  }
  return g.__gotifyWeb;
}
