import { bootstrapProcess } from '@app/common';
import { createApiApplication } from './http-app';

// Runs only the HTTP API (`npm run start:api`); `npm start` runs API and worker together.
void bootstrapProcess('api', async (config) => {
  const app = await createApiApplication(config);
  await app.listen(config.http.port, config.http.host);
  return { close: () => app.close() };
});
