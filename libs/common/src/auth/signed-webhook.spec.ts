import type { ExecutionContext } from '@nestjs/common';
import { GUARDS_METADATA } from '@nestjs/common/constants';
import { mock } from 'jest-mock-extended';
import type { AuthenticatedRequest } from './access.decorators';
import { InboundWebhookVerifier, SignedWebhook, SignedWebhookGuard } from './signed-webhook';

// @nestjs/swagger's metadata key for declared parameters (its constants are not exported).
const API_PARAMETERS = 'swagger/apiParameters';

const contextOf = (request: AuthenticatedRequest) =>
  ({ switchToHttp: () => ({ getRequest: () => request }) }) as unknown as ExecutionContext;

describe('SignedWebhookGuard', () => {
  it('lets the request through once the verifier accepts it', async () => {
    const verifier = mock<InboundWebhookVerifier>();
    verifier.verify.mockResolvedValue(undefined);
    const request = {} as AuthenticatedRequest;
    await expect(new SignedWebhookGuard(verifier).canActivate(contextOf(request))).resolves.toBe(true);
    expect(verifier.verify).toHaveBeenCalledWith(request);
  });

  it('refuses when the verifier refuses', async () => {
    const verifier = mock<InboundWebhookVerifier>();
    verifier.verify.mockRejectedValue(new Error('refused'));
    await expect(new SignedWebhookGuard(verifier).canActivate(contextOf({} as never))).rejects.toThrow(
      'refused',
    );
  });

  it('fails closed in a process that provides no verifier', async () => {
    await expect(new SignedWebhookGuard(undefined).canActivate(contextOf({} as never))).rejects.toThrow(
      /InboundWebhookVerifier/,
    );
  });
});

describe('@SignedWebhook()', () => {
  class Probe {
    @SignedWebhook()
    handler() {}
  }

  it('puts the guard on the route and documents the three Standard Webhooks headers', () => {
    const handler = Object.getOwnPropertyDescriptor(Probe.prototype, 'handler')!.value as object;
    expect(Reflect.getMetadata(GUARDS_METADATA, handler)).toEqual([SignedWebhookGuard]);
    const headers = (
      Reflect.getMetadata(API_PARAMETERS, handler) as Array<{ name: string; required: boolean }>
    ).map(({ name, required }) => ({ name, required }));
    expect(headers).toEqual(
      expect.arrayContaining([
        { name: 'webhook-id', required: true },
        { name: 'webhook-timestamp', required: true },
        { name: 'webhook-signature', required: true },
      ]),
    );
  });
});
