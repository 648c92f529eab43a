/**
 * Loads the demo library into a running cluster on first start: generates each demo song
 * (../demo/), uploads it through an API node, and records what was loaded in
 * `<dataDir>/demo-loaded.json`, so a restart neither re-uploads nor loses anything.
 */
import fs from 'node:fs';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { DEMO_LIBRARY, makeDemoSong } from '../demo/index.js';
import { uploadSong } from './upload-client.js';

export interface DemoLoaderOptions {
  /** HTTP base of an API node, e.g. http://127.0.0.1:4000 */
  apiBase: string;
  dataDir: string;
  /** Show a progress bar. @default true when stdout is a TTY */
  progress?: boolean;
}

export async function loadDemoLibrary(opts: DemoLoaderOptions): Promise<string[]> {
  const marker = path.join(opts.dataDir, 'demo-loaded.json');
  if (fs.existsSync(marker)) return JSON.parse(fs.readFileSync(marker, 'utf8')) as string[];
  const showBar = opts.progress ?? Boolean(process.stdout.isTTY);
  const bar = new cliProgress.SingleBar(
    { format: 'Loading demo songs [{bar}] {value}/{total} {title}', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  if (showBar) bar.start(DEMO_LIBRARY.length, 0, { title: '' });
  else console.log(`Loading ${DEMO_LIBRARY.length} demo songs…`);
  const ids: string[] = [];
  for (const spec of DEMO_LIBRARY) {
    if (showBar) bar.update(ids.length, { title: spec.title });
    const { bytes } = await makeDemoSong(spec);
    const song = await uploadSong(opts.apiBase, bytes, { filename: `${spec.artist} - ${spec.title}.mp3` });
    ids.push(song.id);
  }
  if (showBar) {
    bar.update(ids.length, { title: 'done' });
    bar.stop();
  }
  fs.writeFileSync(marker, JSON.stringify(ids, null, 2));
  return ids;
}
