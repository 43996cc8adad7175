export * from './subscriptions.module';
export * from './webhook-subscriptions.service';
export * from './webhook-event-types';
export * from './safe-webhook.client';
export * from './delivery-signature';
export * from './public-address';
export { checkSubscriptionUrl, type SubscriptionUrlRefusal, type AddressPolicy } from './subscription-url';
export type { ResolveHost } from './host-resolver';
