import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import { nodeHttpsFetch, type NodeHttpsFetchOptions } from './node-https-fetch';
import type { paths } from './schema';

export type MemberSyncClient = Client<paths>;

export interface MemberSyncClientOptions
  extends Omit<ClientOptions, 'baseUrl' | 'fetch'>, NodeHttpsFetchOptions {
  /** The service's origin, e.g. `https://api.example.com` (paths in calls start with `/api/v1/...`). */
  baseUrl: string;
  /** Your own fetch; when given, `ca`/`cert`/`key`/`keepAlive` are ignored. */
  fetch?: ClientOptions['fetch'];
}

/**
 * A typed client for one deployment. With `ca` (and/or `cert`+`key` for mutual TLS) the calls go
 * through node:https trusting exactly that CA, e.g. the self-signed development certificate;
 * without them Node's global fetch and its usual trust store are used. Default `headers` (e.g.
 * `bearer(token)`) go with every call; per-call `headers` add to or override them.
 */
export function createMemberSyncClient(options: MemberSyncClientOptions): MemberSyncClient {
  const { ca, cert, key, keepAlive, fetch, baseUrl, ...rest } = options;
  const needsNodeTls = ca !== undefined || cert !== undefined || key !== undefined;
  return createClient<paths>({
    ...rest,
    baseUrl: baseUrl.replace(/\/+$/, ''),
    ...(fetch ? { fetch } : needsNodeTls ? { fetch: nodeHttpsFetch({ ca, cert, key, keepAlive }) } : {}),
  });
}
