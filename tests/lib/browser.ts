/**
 * Debian's Chromium driven by playwright-core (no browser download: the system binary, with the
 * flags this machine's closed network needs). Skips outside CI when Chromium is missing; in CI
 * (where .ci/run installs it) a missing browser is a failure.
 */
import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  // Let the page start audio without a user gesture (the test clicks anyway).
  '--autoplay-policy=no-user-gesture-required',
];

/** Why browser tests cannot run here, or undefined when they can. */
export function browserUnavailable(): string | undefined {
  if (fs.existsSync(CHROMIUM)) return undefined;
  const why = `Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`;
  if (process.env.CI) throw new Error(why);
  return why;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
}
