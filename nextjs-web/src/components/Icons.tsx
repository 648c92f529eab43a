/**
 * Inline SVG icons, so controls render the same everywhere (symbol and emoji glyphs depend on the
 * fonts a system has; Debian's headless Chromium shows boxes for them). Decorative: the buttons
 * that hold them carry the accessible names.
 */
const common = {
  width: 18,
  height: 18,
  viewBox: '0 0 24 24',
  fill: 'currentColor',
  'aria-hidden': true,
} as const;

export const PreviousIcon = () => (
  <svg {...common}>
    <path d="M6 5h2v14H6zM20 5v14L9 12z" />
  </svg>
);

export const NextIcon = () => (
  <svg {...common}>
    <path d="M16 5h2v14h-2zM4 5v14l11-7z" />
  </svg>
);

export const ClockIcon = () => (
  <svg {...common} width={14} height={14}>
    <path d="M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm0 2a8 8 0 1 1 0 16 8 8 0 0 1 0-16zm-1 3v6l5 3 1-1.7-4-2.3V7z" />
  </svg>
);

export function VolumeIcon({ level }: { level: 'muted' | 'low' | 'high' }) {
  return (
    <svg {...common}>
      <path d="M4 9v6h4l5 4V5L8 9z" />
      {level === 'muted' && <path d="M16 9l5 6m0-6l-5 6" stroke="currentColor" strokeWidth="2" fill="none" />}
      {level !== 'muted' && (
        <path d="M15.5 8.5a5 5 0 0 1 0 7" stroke="currentColor" strokeWidth="2" fill="none" />
      )}
      {level === 'high' && (
        <path d="M18 6a8.5 8.5 0 0 1 0 12" stroke="currentColor" strokeWidth="2" fill="none" />
      )}
    </svg>
  );
}
