import {
  applyDecorators,
  CanActivate,
  ExecutionContext,
  Injectable,
  Optional,
  UseGuards,
} from '@nestjs/common';
import { ApiExtension, ApiHeader } from '@nestjs/swagger';
import type { AuthenticatedRequest } from './access.decorators';

/**
 * Checks a request's Standard Webhooks signature against the calling partner's inbound secrets.
 * Declared here so a domain lib can mark a route signed without importing the lib that verifies
 * (sync provides the implementation app-wide). On success it sets `request.verifiedWebhookId`;
 * otherwise it throws a 401 domain error.
 */
export abstract class InboundWebhookVerifier {
  abstract verify(request: AuthenticatedRequest): Promise<void>;
}

/** Runs after the global authentication guard, so the caller's partner is known. */
@Injectable()
export class SignedWebhookGuard implements CanActivate {
  // Optional so a process without HTTP (CLI, worker) can load a controller module without sync;
  // a request reaching a signed route without a verifier fails closed.
  constructor(@Optional() private readonly verifier?: InboundWebhookVerifier) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (!this.verifier) throw new Error('no InboundWebhookVerifier is provided: import SyncModule');
    await this.verifier.verify(context.switchToHttp().getRequest<AuthenticatedRequest>());
    return true;
  }
}

/**
 * The route accepts only requests signed per Standard Webhooks with one of the caller's active
 * inbound secrets (HMAC-SHA256 over the exact body bytes, 5-minute timestamp tolerance).
 */
export function SignedWebhook() {
  return applyDecorators(
    UseGuards(SignedWebhookGuard),
    ApiHeader({
      name: 'webhook-id',
      required: true,
      description:
        'unique message id (Standard Webhooks); the idempotency key when no Idempotency-Key is sent',
    }),
    ApiHeader({ name: 'webhook-timestamp', required: true, description: 'Unix seconds; ±5 minutes' }),
    ApiHeader({
      name: 'webhook-signature',
      required: true,
      description: 'space-separated `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{raw body}">`',
    }),
    ApiExtension('x-signed-webhook', true),
  );
}
