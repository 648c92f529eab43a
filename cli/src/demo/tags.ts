/**
 * ID3v2 tagging of generated MP3s (node-id3 writes ID3v2.3): title, artist, album, genre, year,
 * track number and the cover as an APIC front-cover picture. Reading tags back is
 * music-metadata's job (used by the tests and by the upload path elsewhere).
 */
import NodeID3 from 'node-id3';

/** APIC picture type 3: front cover (ID3v2 spec, section 4.15). */
const PICTURE_FRONT_COVER = 3;

/** Tag fields written to every demo song. */
export interface SongTags {
  title: string;
  artist: string;
  album: string;
  genre: string;
  year: number;
  track: number;
  /** Cover image bytes, embedded as APIC front cover; omitted when absent. */
  cover?: { mime: string; data: Buffer };
}

/** Prepend an ID3v2 tag to raw MPEG audio. */
export function tagMp3(audio: Buffer, tags: SongTags): Buffer {
  const id3: NodeID3.Tags = {
    title: tags.title,
    artist: tags.artist,
    album: tags.album,
    genre: tags.genre,
    year: String(tags.year),
    trackNumber: String(tags.track),
  };
  if (tags.cover) {
    id3.image = {
      mime: tags.cover.mime,
      type: { id: PICTURE_FRONT_COVER },
      description: 'Front cover',
      imageBuffer: tags.cover.data,
    };
  }
  const tag = NodeID3.create(id3);
  return Buffer.concat([tag, audio]);
}
