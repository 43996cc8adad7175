import { bootstrapProcess } from '@app/common';
import { createWorkerApplication } from './worker-app';

// Runs only the BullMQ worker (`npm run start:worker`).
void bootstrapProcess('worker', async (config) => {
  const app = await createWorkerApplication(config);
  return { close: () => app.close() };
});
