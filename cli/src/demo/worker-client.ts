/**
 * One shared generator worker thread, started lazily and unref'd while idle (it never keeps a
 * process alive). Requests are served one at a time, in order: one core, as the demo budget
 * assumes. The worker loads TypeScript through tsx's `tsImport`, so it works under `tsx` and
 * under jest alike. What runs in the worker: worker.ts; the generation itself: generate.ts.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { DemoSongSpec } from './library.js';
import type { WorkerReply, WorkerRequest } from './worker.js';

interface Pending {
  resolve: (bytes: Buffer) => void;
  reject: (error: Error) => void;
}

type State = { phase: 'stopped' } | { phase: 'running'; worker: Worker; pending: Map<number, Pending> };

let state: State = { phase: 'stopped' };
let nextId = 1;

/** Source that boots tsx inside the worker and imports worker.ts. */
function bootstrap(): string {
  const tsxPackage = pathToFileURL(createRequire(import.meta.url).resolve('tsx/package.json'));
  const tsxApi = new URL('dist/esm/api/index.mjs', tsxPackage).href;
  const entry = new URL('./worker.ts', import.meta.url).href;
  return `import(${JSON.stringify(tsxApi)}).then((tsx) => tsx.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(entry)}))`;
}

function failAll(pending: Map<number, Pending>, error: Error): void {
  for (const p of pending.values()) p.reject(error);
  pending.clear();
}

function start(): Extract<State, { phase: 'running' }> {
  if (state.phase === 'running') return state;
  const worker = new Worker(bootstrap(), { eval: true });
  const pending = new Map<number, Pending>();
  const running = { phase: 'running' as const, worker, pending };
  worker.on('message', (reply: WorkerReply) => {
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    if (pending.size === 0) worker.unref();
    if ('bytes' in reply)
      p.resolve(Buffer.from(reply.bytes.buffer, reply.bytes.byteOffset, reply.bytes.byteLength));
    else p.reject(reply.name === 'RangeError' ? new RangeError(reply.error) : new Error(reply.error));
  });
  const stop = (error: Error): void => {
    if (state === running) state = { phase: 'stopped' };
    failAll(pending, error);
  };
  worker.on('error', (err) => stop(err));
  worker.on('exit', (code) => stop(new Error(`demo generator worker exited with code ${code}`)));
  worker.unref();
  state = running;
  return running;
}

/** Generate a song's tagged MP3 in the shared worker thread. */
export function generateInWorker(spec: DemoSongSpec): Promise<Buffer> {
  const running = start();
  const id = nextId++;
  return new Promise<Buffer>((resolve, reject) => {
    running.pending.set(id, { resolve, reject });
    running.worker.ref();
    const request: WorkerRequest = { id, spec };
    running.worker.postMessage(request);
  });
}

/** Stop the worker (pending requests fail). Safe to call when none is running. */
export async function closeDemoWorker(): Promise<void> {
  if (state.phase === 'stopped') return;
  const { worker, pending } = state;
  state = { phase: 'stopped' };
  failAll(pending, new Error('demo generator worker closed'));
  await worker.terminate();
}
