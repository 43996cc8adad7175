import { bearer, createMemberSyncClient, type FetchFunction, type MemberSyncClient } from '@app/sdk';
import { DemoFailed } from './demo-processes';

/** What an openapi-fetch call resolves to, whatever its operation. */
interface CallResult {
  data?: unknown;
  error?: unknown;
  response: Response;
}

/** The demo's view of an RFC 9457 problem: its type and status, never its other members. */
export interface Problem {
  type: string;
  status: number;
  contentType: string;
  /** The raw body, only ever searched (for echoed values), never printed. */
  text: string;
}

/** The typed SDK's clients for one base URL (anonymous, or as a bearer token's holder), over one fetch. */
export class DemoApi {
  readonly anonymous: MemberSyncClient;

  constructor(
    readonly baseUrl: string,
    private readonly fetch: FetchFunction,
  ) {
    this.anonymous = createMemberSyncClient({ baseUrl, fetch });
  }

  as(token: string): MemberSyncClient {
    return createMemberSyncClient({
      baseUrl: this.baseUrl,
      fetch: this.fetch,
      headers: bearer(token),
    });
  }

  /** A call outside the typed paths (the sim's control API), JSON in and out. */
  async raw(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const request = new Request(`${this.baseUrl}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const response = await this.fetch(request);
    const text = await response.text();
    return { status: response.status, text, json: <T>() => JSON.parse(text) as T };
  }
}

/**
 * The body of a call that must answer `status`; anything else fails the step, naming the call and
 * the problem type that came back (problem bodies carry no values, but only the type is shown).
 */
export async function expectStatus<T>(call: Promise<CallResult>, status: number, what: string): Promise<T> {
  const result = await call;
  if (result.response.status !== status) {
    const type = problemType(result.error);
    throw new DemoFailed(
      `${what}: expected ${status}, got ${result.response.status}${type ? ` (${type})` : ''}`,
    );
  }
  return result.data as T;
}

/** A call that must be refused with `status` and an RFC 9457 problem; answers the problem. */
export async function expectProblem(
  call: Promise<CallResult>,
  status: number,
  what: string,
): Promise<Problem> {
  const result = await call;
  const contentType = result.response.headers.get('content-type') ?? '';
  if (result.response.status !== status) {
    throw new DemoFailed(`${what}: expected ${status}, got ${result.response.status}`);
  }
  if (!contentType.startsWith('application/problem+json')) {
    throw new DemoFailed(
      `${what}: answered ${status} but as ${contentType || 'no content type'}, not problem+json`,
    );
  }
  const type = problemType(result.error);
  if (!type) throw new DemoFailed(`${what}: the problem has no type`);
  return { type, status, contentType, text: JSON.stringify(result.error) };
}

function problemType(error: unknown): string | undefined {
  if (error && typeof error === 'object' && 'type' in error && typeof error.type === 'string')
    return error.type;
  return undefined;
}

/** The last path segment of a problem type URI (`…/problems/validation-failed` → `validation-failed`). */
export function shortType(type: string): string {
  return type.split('/').pop() ?? type;
}
