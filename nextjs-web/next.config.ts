import { fileURLToPath } from 'node:url';
import type { NextConfig } from 'next';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

const config: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // npm workspaces: dependencies are hoisted to the repository root.
  outputFileTracingRoot: repoRoot,
  turbopack: { root: repoRoot },
  // server.ts (tsx) imports @gotify/dns; Next code never does, but transpile it if a route ever does.
  transpilePackages: ['@gotify/dns'],
};

export default config;
