'use client';
/** Top bar: brand, navigation, upload button. */
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { useApp } from './Providers';

export function Header() {
  const { setUploadOpen } = useApp();
  const path = usePathname();
  return (
    <header className="top">
      <Link href="/" className="brand" aria-label="Gotify home">
        <span className="logo" aria-hidden="true">
          ◉
        </span>{' '}
        Gotify
      </Link>
      <nav aria-label="Main">
        <Link href="/" aria-current={path === '/' ? 'page' : undefined}>
          Library
        </Link>
        <Link
          href="/cluster"
          aria-current={path === '/cluster' ? 'page' : undefined}
          data-testid="nav-cluster"
        >
          Cluster
        </Link>
      </nav>
      <button
        type="button"
        className="primary"
        data-testid="upload-open"
        aria-label="Upload songs"
        onClick={() => setUploadOpen(true)}
      >
        ⇪ Upload
      </button>
    </header>
  );
}
