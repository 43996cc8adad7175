// The typed client partners' engineers, the demo and the e2e suites use: types generated from the
// service's own OpenAPI document (libs/sdk/openapi.json → schema.ts by openapi-typescript), calls
// made by openapi-fetch. `npm run sdk:generate` rewrites both; a drift between the document the
// service serves and these files fails the build (test/sdk-drift.e2e-spec.ts).
import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { paths } from './schema';

export type { paths, components, operations } from './schema';
export type MemberSyncClient = Client<paths>;

/** A client for one base URL (e.g. `https://localhost:8443`); pass `fetch`/headers as needed. */
export function createMemberSyncClient(options: ClientOptions): MemberSyncClient {
  return createClient<paths>(options);
}
