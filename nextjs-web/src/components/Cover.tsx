'use client';
/** Cover art from the API node (/cover/{hash}), or a coloured tile with the album's initials. */
import { useState } from 'react';
import { useApp } from './Providers';

function hue(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) % 360;
  return h;
}

export function Cover({ hash, label, size = 40 }: { hash?: string | null; label: string; size?: number }) {
  const { rotation } = useApp();
  const [failed, setFailed] = useState(0);
  const eps = rotation.order();
  const ep = eps[failed];
  if (hash && ep) {
    return (
      <img
        className="cover"
        src={`${ep.http}/cover/${hash}`}
        alt=""
        width={size}
        height={size}
        loading="lazy"
        decoding="async"
        onError={() => setFailed((f) => f + 1)}
      />
    );
  }
  const initials = label
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w[0]!.toUpperCase())
    .join('');
  return (
    <span
      className="cover cover-fallback"
      style={{
        width: size,
        height: size,
        background: `linear-gradient(135deg, hsl(${hue(label)} 55% 40%), hsl(${(hue(label) + 50) % 360} 60% 25%))`,
      }}
      aria-hidden="true"
    >
      {initials || '♪'}
    </span>
  );
}
