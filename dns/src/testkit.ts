/**
 * Test helpers for the DNS role: run the real `dig` binary and send signed messages by hand.
 * Used by the *.test.ts files only; not exported from index.ts.
 */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { sign } from './auth.js';
import { SIGNATURE_HEADER } from './constants.js';

const run = promisify(execFile);

/** Whether `dig` (Debian package dnsutils) is installed. */
export const HAS_DIG = spawnSync('dig', ['-v'], { stdio: 'ignore' }).status === 0;

export interface DigResult {
  status: string;
  flags: string[];
  answer: string[][];
  additional: string[][];
  authority: string[][];
}

/** Runs `dig @host -p port name type [+tcp]` and parses status and sections. */
export async function dig(
  server: string,
  name: string,
  type: string,
  extra: string[] = [],
): Promise<DigResult> {
  const i = server.lastIndexOf(':');
  const { stdout } = await run('dig', [
    `@${server.slice(0, i)}`,
    '-p',
    server.slice(i + 1),
    name,
    type,
    '+tries=1',
    '+time=2',
    '+norecurse',
    ...extra,
  ]);
  const status = /status: ([A-Z]+)/.exec(stdout)?.[1] ?? 'NO_ANSWER';
  const flags = (/;; flags: ([a-z ]+);/.exec(stdout)?.[1] ?? '').trim().split(/\s+/);
  const sections: Record<string, string[][]> = { ANSWER: [], ADDITIONAL: [], AUTHORITY: [] };
  let cur: string[][] | undefined;
  for (const line of stdout.split('\n')) {
    const m = /^;; ([A-Z]+) SECTION:/.exec(line);
    if (m) cur = sections[m[1]!];
    else if (line.trim() === '' || line.startsWith(';')) cur = line.trim() === '' ? undefined : cur;
    else cur?.push(line.trim().split(/\s+/));
  }
  return {
    status,
    flags,
    answer: sections.ANSWER!,
    additional: sections.ADDITIONAL!,
    authority: sections.AUTHORITY!,
  };
}

/** POSTs a JSON body signed with `key` (or with an explicit signature) to a DNS node's HTTP side. */
export async function postSigned(
  http: string,
  path: string,
  payload: unknown,
  key: string,
  signature?: string,
): Promise<number> {
  const body = JSON.stringify(payload);
  const res = await fetch(`http://${http}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature ?? sign(key, body) },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}

/** Polls `check` until it returns true or `ms` passes; returns the elapsed time or throws. */
export async function waitFor(check: () => Promise<boolean>, ms: number, what: string): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (await check()) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}
