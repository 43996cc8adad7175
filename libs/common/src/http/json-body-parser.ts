import type { RawBodyRequest } from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import secureJson from 'secure-json-parse';
import { DomainError } from '../errors/domain-error';

export class UnsupportedBody extends DomainError {
  readonly type = 'unsupported-media-type' as const;
  constructor() {
    super('Send the body as application/json.');
  }
}

export class MalformedFormBody extends DomainError {
  readonly type = 'bad-request' as const;
  constructor() {
    super('The form body is malformed or repeats a parameter.');
  }
}

export class MalformedJsonBody extends DomainError {
  readonly type = 'malformed-json' as const;
  constructor() {
    super('The body could not be parsed as JSON.');
  }
}

export class JsonTooDeep extends DomainError {
  readonly type = 'json-too-deep' as const;
  constructor() {
    super(`The JSON body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels.`);
  }
}

/** No body we accept nests deeper than a few levels; parsing (and validating) a deep one recurses. */
export const MAX_JSON_DEPTH = 32;

/**
 * True when the text opens more than `limit` arrays or objects inside one another. One linear pass
 * before JSON.parse, so no recursive parser, scanner or validator ever sees a deep document.
 */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i += 1; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      depth += 1;
      if (depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth -= 1;
    }
  }
  return false;
}

/**
 * Replaces fastify's JSON parser so a parse failure surfaces as our own `malformed-json` problem
 * (Nest would otherwise flatten it into an anonymous 400). Prototype-poisoning keys are refused.
 * Only JSON is accepted (and forms on the OAuth endpoints): any other content type answers 415.
 * A body nested deeper than MAX_JSON_DEPTH is refused before it is parsed.
 */
export function acceptJsonBodiesOnly(
  fastify: FastifyInstance,
  options: { formRoutes?: string[] } = {},
): void {
  fastify.removeAllContentTypeParsers();
  const formRoutes = new Set(options.formRoutes ?? []);
  // OAuth endpoints take form bodies (RFC 6749); nowhere else does.
  fastify.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (request, body, done) => {
      if (!formRoutes.has(request.routeOptions.url ?? '')) return done(new UnsupportedBody(), undefined);
      const params = new URLSearchParams(typeof body === 'string' ? body : body.toString('utf8'));
      const form: Record<string, string> = {};
      for (const [key, value] of params) {
        if (key in form || key === '__proto__') return done(new MalformedFormBody(), undefined);
        form[key] = value;
      }
      done(null, form);
    },
  );
  fastify.addContentTypeParser(
    /^application\/([\w.+-]+\+)?json(\s*;.*)?$/i,
    // Read as bytes and kept on the request: a webhook signature covers exactly what was sent.
    { parseAs: 'buffer' },
    (request, body, done) => {
      (request as RawBodyRequest<FastifyRequest>).rawBody = Buffer.isBuffer(body) ? body : Buffer.from(body);
      const text = typeof body === 'string' ? body : body.toString('utf8');
      if (text.trim() === '') return done(null, undefined);
      if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) return done(new JsonTooDeep(), undefined);
      try {
        done(null, secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
      } catch {
        done(new MalformedJsonBody(), undefined);
      }
    },
  );
}
