/** GET /api/cluster: DNS registry + each node's /healthz, for the cluster page. */
import { clusterSnapshot } from '../../../server/cluster';
import { runtime } from '../../../server/runtime';

export const dynamic = 'force-dynamic';

export async function GET() {
  const { config } = runtime();
  return Response.json(await clusterSnapshot(config.dnsNodes, config.apiUrls), {
    headers: { 'cache-control': 'no-store' },
  });
}
