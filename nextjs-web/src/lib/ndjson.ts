/**
 * Incremental NDJSON parsing for the upload progress stream (Accept: application/x-ndjson):
 * feed it the growing response text, get each complete new line's object once.
 * Does not do the request (upload.ts does).
 */

/** One progress line of POST /upload. */
export interface UploadProgress {
  phase: 'receiving' | 'parsing' | 'storing' | 'publishing' | 'indexing' | 'done' | 'error';
  done?: number;
  total?: number;
  song?: { id: string; title?: string; artist?: string };
  error?: { code: string; message: string };
}

export function makeNdjsonReader<T = unknown>(onLine: (v: T) => void): (textSoFar: string) => void {
  let consumed = 0;
  return (text) => {
    for (;;) {
      const nl = text.indexOf('\n', consumed);
      if (nl < 0) return;
      const line = text.slice(consumed, nl).trim();
      consumed = nl + 1;
      if (!line) continue;
      try {
        onLine(JSON.parse(line) as T);
      } catch {
        /* a malformed line is skipped; the final status code still tells the outcome */
      }
    }
  };
}
