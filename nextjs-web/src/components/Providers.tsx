'use client';
/**
 * Client-side roots: the endpoint rotation (fed by the Web node, refreshed from DNS), the urql
 * client whose fetch fails over between API nodes, the player engine bound to one <audio>
 * element, and the library version (bumped after uploads so lists refetch).
 */
import { createContext, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { Client, Provider as UrqlProvider, cacheExchange, fetchExchange } from 'urql';
import { makePlayerEngine, type PlayerEngine } from '../player/engine';
import { makeEndpointRotation, type Endpoint, type EndpointRotation } from '../player/endpoints';
import { makeWsSubscribe } from '../player/wsTransport';
import { startEndpointRefresh } from '../lib/endpointsClient';
import { API_PLACEHOLDER, makeFailoverFetch } from '../lib/failoverFetch';

interface AppContextValue {
  rotation: EndpointRotation;
  engine: PlayerEngine | null;
  mounted: boolean;
  libraryVersion: number;
  bumpLibrary(): void;
  uploadOpen: boolean;
  setUploadOpen(open: boolean): void;
  droppedFiles: File[];
  setDroppedFiles(files: File[]): void;
}

const AppContext = createContext<AppContextValue | null>(null);

export function useApp(): AppContextValue {
  const v = useContext(AppContext);
  if (!v) throw new Error('useApp outside <Providers>');
  return v;
}

declare global {
  interface Window {
    __gotifyPlayer?: Record<string, unknown>;
    __gotifyEngine?: PlayerEngine;
  }
}

export function Providers({
  initialEndpoints,
  children,
}: {
  initialEndpoints: Endpoint[];
  children: ReactNode;
}) {
  const [rotation] = useState(() => makeEndpointRotation({ endpoints: initialEndpoints }));
  const [client] = useState(
    () =>
      new Client({
        url: `${API_PLACEHOLDER}/graphql`,
        exchanges: [cacheExchange, fetchExchange],
        fetch: makeFailoverFetch(rotation),
        preferGetMethod: false,
        requestPolicy: 'cache-and-network',
      }),
  );
  const audioRef = useRef<HTMLAudioElement>(null);
  const [engine, setEngine] = useState<PlayerEngine | null>(null);
  const [mounted, setMounted] = useState(false);
  const [libraryVersion, setLibraryVersion] = useState(0);
  const [uploadOpen, setUploadOpen] = useState(false);
  const [droppedFiles, setDroppedFiles] = useState<File[]>([]);

  useEffect(() => {
    const e = makePlayerEngine({ audio: audioRef.current!, rotation, subscribe: makeWsSubscribe() });
    setEngine(e);
    setMounted(true);
    const refresher = startEndpointRefresh(rotation);
    Object.defineProperty(window, '__gotifyPlayer', { get: () => e.debug(), configurable: true });
    window.__gotifyEngine = e;
    try {
      const v = Number(localStorage.getItem('gotify.volume'));
      if (v >= 0 && v <= 1 && localStorage.getItem('gotify.volume') !== null) e.setVolume(v);
    } catch {
      /* storage blocked */
    }
    const unsub = e.subscribe(() => {
      try {
        localStorage.setItem('gotify.volume', String(e.getState().volume));
      } catch {
        /* storage blocked */
      }
    });
    return () => {
      unsub();
      refresher.stop();
      e.destroy();
    };
  }, [rotation]);

  // Files dropped anywhere on the page open the upload panel.
  useEffect(() => {
    const over = (ev: DragEvent) => {
      if (ev.dataTransfer?.types.includes('Files')) ev.preventDefault();
    };
    const drop = (ev: DragEvent) => {
      if (!ev.dataTransfer?.files.length || ev.defaultPrevented) return;
      ev.preventDefault();
      setDroppedFiles(Array.from(ev.dataTransfer.files));
      setUploadOpen(true);
    };
    window.addEventListener('dragover', over);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragover', over);
      window.removeEventListener('drop', drop);
    };
  }, []);

  const value = useMemo<AppContextValue>(
    () => ({
      rotation,
      engine,
      mounted,
      libraryVersion,
      bumpLibrary: () => setLibraryVersion((v) => v + 1),
      uploadOpen,
      setUploadOpen,
      droppedFiles,
      setDroppedFiles,
    }),
    [rotation, engine, mounted, libraryVersion, uploadOpen, droppedFiles],
  );

  return (
    <AppContext.Provider value={value}>
      <UrqlProvider value={client}>
        {children}
        <audio ref={audioRef} data-testid="audio" preload="auto" hidden />
      </UrqlProvider>
    </AppContext.Provider>
  );
}
