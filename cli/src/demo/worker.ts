/**
 * Worker-thread entry of the demo generator: answers `{ id, spec }` with `{ id, bytes }` or
 * `{ id, error }`. Started by worker-client.ts (through tsx's tsImport); no other logic here.
 */
import { parentPort } from 'node:worker_threads';
import { generateDemoSong } from './generate.js';
import type { DemoSongSpec } from './library.js';

/** A request from worker-client.ts. */
export interface WorkerRequest {
  id: number;
  spec: DemoSongSpec;
}

/** A reply to worker-client.ts. */
export type WorkerReply = { id: number; bytes: Uint8Array } | { id: number; error: string; name: string };

const port = parentPort;
if (!port) throw new Error('worker.ts must run in a worker thread');
port.on('message', (request: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    const bytes = new Uint8Array(generateDemoSong(request.spec)); // own ArrayBuffer, transferable
    reply = { id: request.id, bytes };
    port.postMessage(reply, [bytes.buffer]);
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    reply = { id: request.id, error: error.message, name: error.name };
    port.postMessage(reply);
  }
});
