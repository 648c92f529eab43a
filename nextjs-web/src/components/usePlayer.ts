'use client';
/** React view of the player engine's state (useSyncExternalStore). */
import { useSyncExternalStore } from 'react';
import type { PlayerState } from '../player/engine';
import { emptyQueue } from '../player/queue';
import { useApp } from './Providers';

const IDLE: PlayerState = {
  queue: emptyQueue,
  status: 'idle',
  position: 0,
  duration: 0,
  bufferedAhead: 0,
  volume: 1,
  muted: false,
  error: null,
};
const noop = () => () => {};

export function usePlayerState(): PlayerState {
  const { engine } = useApp();
  return useSyncExternalStore(
    engine ? engine.subscribe : noop,
    engine ? engine.getState : () => IDLE,
    () => IDLE,
  );
}

/** A primitive slice of the state: re-renders only when it changes (rows use this, not the whole state). */
export function usePlayerSelect<T extends string | number | boolean | null>(sel: (s: PlayerState) => T): T {
  const { engine } = useApp();
  return useSyncExternalStore(
    engine ? engine.subscribe : noop,
    () => sel(engine ? engine.getState() : IDLE),
    () => sel(IDLE),
  );
}
