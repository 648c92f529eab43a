import type { Metadata, Viewport } from 'next';
import type { ReactNode } from 'react';
import { Header } from '../components/Header';
import { PlayerBar } from '../components/PlayerBar';
import { Providers } from '../components/Providers';
import { UploadPanel } from '../components/UploadPanel';
import { runtime } from '../server/runtime';
import './globals.css';

// Endpoints come fresh from DNS on every request: never prerender.
export const dynamic = 'force-dynamic';

export const metadata: Metadata = { title: 'Gotify', description: 'Distributed music streaming' };
export const viewport: Viewport = { width: 'device-width', initialScale: 1, themeColor: '#121212' };

export default async function RootLayout({ children }: { children: ReactNode }) {
  const { endpoints } = await runtime().directory.endpoints();
  return (
    <html lang="en">
      <body>
        <Providers initialEndpoints={endpoints}>
          <Header />
          <main>{children}</main>
          <UploadPanel />
          <PlayerBar />
        </Providers>
      </body>
    </html>
  );
}
