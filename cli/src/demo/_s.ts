import { coverStyleOf } from './cover.js';
import { DEMO_LIBRARY } from './library.js';
const albums = [...new Set(DEMO_LIBRARY.map((s) => s.artist + '\0' + s.album))];
console.log(albums.map((k) => { const [a, b] = k.split('\0'); const c = coverStyleOf(a!, b!); return `${c.pattern}/${c.hue}`; }));
