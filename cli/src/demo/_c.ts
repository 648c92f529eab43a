import { makeCoverPng, DEMO_LIBRARY } from './index.js';
import pngjs from 'pngjs';
const { PNG } = pngjs;
const albums = [...new Set(DEMO_LIBRARY.map((s) => s.artist + '\0' + s.album))];
const out = new PNG({ width: 1200, height: 300 });
albums.forEach((k, i) => { const [a, b] = k.split('\0'); const p = PNG.sync.read(makeCoverPng(a!, b!)); PNG.bitblt(p, out, 0, 0, 300, 300, i * 300, 0); });
(await import('node:fs')).writeFileSync('/tmp/covers.png', PNG.sync.write(out));
