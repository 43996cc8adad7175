import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import passport from 'passport';
import { AuditService, auditActor } from '@app/audit';
import { requestMeta, type AdminPrincipal, type AdminScope, type Principal, AccessDenied } from '@app/common';
import { AuthenticationFailed } from '../identity.errors';
import { authorizeScopes } from './authorize-scopes';

/**
 * The admin check for routes Nest does not own (the BullMQ dashboard is a fastify plugin): the
 * same passport-jwt verification and scope rule as the global guard, audited the same way.
 */
@Injectable()
export class AdminRequestVerifier {
  constructor(private readonly audit: AuditService) {}

  async verify(request: FastifyRequest, reply: FastifyReply, scope: AdminScope): Promise<AdminPrincipal> {
    const principal = await new Promise<Principal | null>((resolve) => {
      const authenticate = passport.authenticate(
        'jwt',
        { session: false },
        (error: unknown, user: Principal | false) => resolve(error || !user ? null : user),
      ) as (req: unknown, res: unknown, next: () => void) => void;
      authenticate(request, reply.raw, () => resolve(null));
    });
    if (!principal) {
      await this.audit.recordStandalone({
        ...auditActor({ request: requestMeta(request) }),
        action: 'access.authenticate',
        outcome: 'failure',
        statusCode: 401,
        reason: 'invalid_token',
      });
      throw new AuthenticationFailed('invalid_token');
    }
    const refusal = authorizeScopes(principal, [scope]);
    if (refusal || principal.kind !== 'admin') {
      await this.audit.recordStandalone({
        ...auditActor({ principal, request: requestMeta(request) }),
        action: 'access.authorize',
        outcome: 'denied',
        statusCode: 403,
        reason: refusal ?? 'not_admin',
      });
      throw new AccessDenied(refusal ?? 'not_admin');
    }
    return principal;
  }
}
