import { ClusterView } from '../../components/ClusterView';

export const metadata = { title: 'Cluster · Gotify' };

export default function ClusterPage() {
  return <ClusterView />;
}
