// One jest run for every workspace. ESM throughout: @swc/jest strips types and keeps `import`,
// Node runs it with --experimental-vm-modules (see package.json "test").
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', tsx: true },
      target: 'es2022',
      transform: { react: { runtime: 'automatic' } },
    },
    module: { type: 'es6' },
  },
];
const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts', '.tsx'],
  transform: { '^.+\\.(t|j)sx?$': swc },
  // music-metadata and friends ship ESM only; transform nothing in node_modules, run them natively.
  transformIgnorePatterns: ['/node_modules/'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
};
export default {
  projects: [
    {
      ...common,
      displayName: 'default',
      testMatch: ['<rootDir>/{dht,subgraphs,schema,gateway,dns,cli,nextjs-web,tests}/**/*.test.{ts,tsx}'],
      testPathIgnorePatterns: ['/node_modules/', '/.next/', '\\.chaos\\.test\\.'],
    },
    {
      ...common,
      displayName: 'chaos',
      testMatch: ['<rootDir>/tests/**/*.chaos.test.ts', '<rootDir>/dht/**/*.chaos.test.ts'],
    },
  ],
};
