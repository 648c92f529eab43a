/** GET /api/endpoints: the live API nodes, fresh from DNS, as [{http, ws, name}] for the browser. */
import { runtime } from '../../../server/runtime';

export const dynamic = 'force-dynamic';

export async function GET() {
  const answer = await runtime().directory.endpoints();
  return Response.json(answer, { headers: { 'cache-control': 'no-store' } });
}
