/** A member version as an HTTP entity tag: what If-Match must name for a change. */
export const etagOf = (version: number) => `"${version}"`;
