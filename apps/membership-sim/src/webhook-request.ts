import type { SimEvent } from './change-plan';

export interface WebhookRequest {
  path: string;
  /** The exact bytes sent and signed. */
  body: string;
}

/**
 * The one place that decides which of our API's endpoints an event goes to (DESIGN §4): a create
 * is the signed `POST /api/v1/members`; an update is a one-item batch addressed by `sourceRef`, so
 * an update whose create was dropped still reaches the member (an unknown sourceRef creates it).
 */
export function webhookRequestFor(event: SimEvent, organizationId: string): WebhookRequest {
  switch (event.kind) {
    case 'create':
      return {
        path: '/api/v1/members',
        body: JSON.stringify({
          eventId: event.eventId,
          occurredAt: event.occurredAt,
          sourceRef: event.sourceRef,
          organizationId,
          ...event.changes,
        }),
      };
    case 'update':
      return {
        path: '/api/v1/sync/batches',
        body: JSON.stringify({
          updates: [
            {
              sourceRef: event.sourceRef,
              eventId: event.eventId,
              occurredAt: event.occurredAt,
              changes: event.changes,
            },
          ],
        }),
      };
  }
}
