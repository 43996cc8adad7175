// The typed client partners' engineers, the demo and the e2e suites use: types generated from the
// service's own OpenAPI document (libs/sdk/openapi.json → schema.ts by openapi-typescript), calls
// made by openapi-fetch. `npm run sdk:generate` rewrites both; a drift between the document the
// service serves and these files fails the build (test/sdk-drift.e2e-spec.ts). This lib imports no
// other lib or app of ours: it is what a partner would copy or install.
export type { paths, components, operations } from './schema';
export { createMemberSyncClient, type MemberSyncClient, type MemberSyncClientOptions } from './client';
export { nodeHttpsFetch, type FetchFunction, type NodeHttpsFetchOptions } from './node-https-fetch';
export {
  adminSignIn,
  apiKey,
  bearer,
  clientCredentialsToken,
  type AccessToken,
  type AdminSessionTokens,
} from './auth';
export { signWebhookBody, type SignedBody, type WebhookSignatureHeaders } from './standard-webhooks';
