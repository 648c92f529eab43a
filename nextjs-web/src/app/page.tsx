import { LibraryView } from '../components/LibraryView';

export default function Home() {
  return <LibraryView />;
}
