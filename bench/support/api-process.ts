// One API process of the benchmark's cluster (`--api-processes`): forked by bench-stack through the
// launcher's own cluster code, it runs exactly what `npm start` runs in each API process.
import { serveApiProcess } from '../../apps/cli/src/launcher/api-cluster';

serveApiProcess().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
