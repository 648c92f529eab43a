/** GraphQL documents the Web node sends to the API supergraph (schema/peer + schema/tracker). */
import { gql } from 'urql';

export const SONG_FIELDS = gql`
  fragment SongFields on Song {
    id
    title
    artist
    album
    genre
    year
    trackNumber
    duration
    coverArt
    coverArtMime
    uploadedAt
    audio {
      size
      mimeType
      chunkCount
      chunkSize
      firstChunkSize
    }
  }
`;

export const SONGS_QUERY = gql`
  query Songs(
    $filter: SongFilter
    $search: String
    $sort: SongSort
    $order: SortOrder
    $first: Int
    $after: String
  ) {
    songs(filter: $filter, search: $search, sort: $sort, order: $order, first: $first, after: $after) {
      totalCount
      pageInfo {
        endCursor
        hasNextPage
      }
      edges {
        cursor
        score
        node {
          ...SongFields
        }
      }
    }
  }
  ${SONG_FIELDS}
`;

export const FACETS_QUERY = gql`
  query Facets($filter: SongFilter) {
    facets(filter: $filter) {
      artists {
        value
        count
      }
      albums {
        value
        count
      }
      genres {
        value
        count
      }
    }
  }
`;

export const REPLICAS_QUERY = gql`
  query Replicas($first: Int, $after: String) {
    songs(first: $first, after: $after, sort: UPLOADED_AT, order: DESC) {
      totalCount
      pageInfo {
        endCursor
        hasNextPage
      }
      edges {
        node {
          id
          title
          artist
          audio {
            size
            chunkCount
            replicas {
              min
            }
          }
        }
      }
    }
  }
`;

export interface SongNode {
  id: string;
  title: string;
  artist: string;
  album: string;
  genre: string;
  year?: number | null;
  trackNumber?: number | null;
  duration?: number | null;
  coverArt?: string | null;
  coverArtMime?: string | null;
  uploadedAt: string;
  audio?: {
    size: number;
    mimeType: string;
    chunkCount: number;
    chunkSize: number;
    firstChunkSize: number;
  } | null;
}

export interface SongsData {
  songs: {
    totalCount: number;
    pageInfo: { endCursor: string | null; hasNextPage: boolean };
    edges: Array<{ cursor: string; score: number | null; node: SongNode }>;
  };
}

export interface FacetValue {
  value: string;
  count: number;
}

export interface FacetsData {
  facets: { artists: FacetValue[]; albums: FacetValue[]; genres: FacetValue[] };
}

export type SongSort = 'TITLE' | 'ARTIST' | 'ALBUM' | 'UPLOADED_AT';

export interface SongFilter {
  artist?: string;
  album?: string;
  genre?: string;
}
