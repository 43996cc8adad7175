/** An answer as it is stored and replayed: status, the headers that matter, and the body text. */
export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  /** The exact body text sent; null when the answer had none (204). */
  body: string | null;
}

/** Headers replayed with a stored answer; anything else (rate limits, request id) is the replay's own. */
export const REPLAYED_HEADERS = ['content-type', 'etag', 'location', 'retry-after'] as const;
