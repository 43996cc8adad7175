// What each queue is, in the words an operator uses: shown on the dashboard beside each queue.
// Keyed by QueueName, so a new queue does not compile until it is described here.

import type { QueueName } from '@app/common';

export interface QueueDescription {
  displayName: string;
  description: string;
}

export const QUEUE_DESCRIPTIONS: Record<QueueName, QueueDescription> = {
  polling: {
    displayName: 'Polling (fallback sync)',
    description:
      "Reads each registered source's change feed from its stored cursor and applies what webhooks missed (sync.poll, sync.backfill).",
  },
  deliveries: {
    displayName: 'Deliveries (outbound webhooks)',
    description:
      'Member changes sent to partners and back to the membership system. Failed jobs are dead letters (every attempt used); Retry replays one with the same webhook-id.',
  },
  keys: {
    displayName: 'Key rotation',
    description:
      'Re-wraps data keys under a new key-encryption key and re-encrypts in the background (keys.rotate; progress in %, resumable).',
  },
  alerts: {
    displayName: 'Alerts',
    description:
      'Sends each raised security or compliance alert (ids, counts, reasons) to the SIEM webhook (alerts.deliver).',
  },
  sync: {
    displayName: 'Retention and sweeps',
    description:
      'Idempotency record sweep, outbox pruning, and resuming parked deliveries once their BAA or partner is back in effect.',
  },
  audit: {
    displayName: 'Audit checkpoints',
    description: 'Signs the audit chain head (Ed25519) by event count and on an interval (audit.checkpoint).',
  },
  compliance: {
    displayName: 'Compliance checks',
    description: 'Daily BAA expiry warnings and lapses; hourly overdue rights-request check.',
  },
};
