import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';
import { DomainError } from '../errors/domain-error';

export class MalformedJsonBody extends DomainError {
  readonly type = 'malformed-json' as const;
  constructor() {
    super('The body could not be parsed as JSON.');
  }
}

/**
 * Replaces fastify's JSON parser so a parse failure surfaces as our own `malformed-json` problem
 * (Nest would otherwise flatten it into an anonymous 400). Prototype-poisoning keys are refused.
 * Only JSON is accepted at all: any other content type answers 415.
 */
export function acceptJsonBodiesOnly(fastify: FastifyInstance): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(
    /^application\/([\w.+-]+\+)?json(\s*;.*)?$/i,
    { parseAs: 'string' },
    (_req, body, done) => {
      const text = typeof body === 'string' ? body : body.toString('utf8');
      if (text.trim() === '') return done(null, undefined);
      try {
        done(null, secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
      } catch {
        done(new MalformedJsonBody(), undefined);
      }
    },
  );
}
