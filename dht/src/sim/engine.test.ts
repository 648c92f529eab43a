import { jest } from '@jest/globals';
import { runSim } from './engine.js';

jest.setTimeout(60_000);

test('simulation of 100 nodes with 20% churn finds every value', async () => {
  const r = await runSim({ nodes: 100, churn: 0.2, lookups: 100, values: 20, waves: 4, seed: 3 });
  expect(r.nodes).toBe(100);
  expect(r.killed).toBe(20);
  expect(r.joined).toBe(20);
  expect(r.success_rate).toBeGreaterThanOrEqual(0.99);
  expect(r.top_k_overlap).toBeGreaterThanOrEqual(0.9);
  expect(r.hops_p95).toBeLessThanOrEqual(6);
});
