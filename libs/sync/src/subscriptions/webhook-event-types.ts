/** What a partner may subscribe to (DESIGN §4); a delivery's `type` is one of these. */
export const WEBHOOK_EVENT_TYPES = [
  'member.created',
  'member.updated',
  'member.deleted',
  'consent.revoked',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
