/** GET /healthz under plain `next start` (server.ts answers it itself before Next sees it). */
import { runtime } from '../../server/runtime';

export const dynamic = 'force-dynamic';

export function GET() {
  const r = runtime();
  return Response.json({
    ok: true,
    role: 'web',
    name: r.config.name,
    phase: r.phase(),
    uptimeMs: Date.now() - r.startedAt,
  });
}
