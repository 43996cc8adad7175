import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/core';

/** Every alert type, the closed set the type column holds (and /metrics labels its counts with). */
export const ALERT_TYPES = [
  'auth_failures',
  'api_key_outside_allowlist',
  'refresh_token_reuse',
  'integrity_violation',
  'baa_refusal',
  'bulk_read_off_hours',
  'unusual_source_network',
  'audit_checkpoint_invalid',
  'webhook_endpoint_disabled',
  // Issue 11: compliance workflows.
  'baa_expiring',
  'deliveries_parked',
  'rights_request_overdue',
  'sink_without_baa',
] as const;
export type AlertType = (typeof ALERT_TYPES)[number];
/** An alert is open until a compliance officer acknowledges it. */
export const ALERT_STATUSES = ['open', 'acknowledged'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];
export type AlertSeverity = 'low' | 'medium' | 'high' | 'critical';

/** A security alert for compliance officers. `details` holds counts, ids and reasons: never values. */
@Entity({ tableName: 'alert' })
export class Alert {
  @PrimaryKey({ type: 'string', length: 30 })
  id: string;

  @Property({ type: 'string', length: 40 })
  type: AlertType;

  @Enum({ items: ['low', 'medium', 'high', 'critical'], type: 'string' })
  severity: AlertSeverity;

  /** What the alert is about: `client:<id>`, `ip:<addr>`, `api_key:<id>`, `admin:<id>`. */
  @Property({ type: 'string', length: 100 })
  subject: string;

  @Property({ type: 'json', nullable: true })
  details?: Record<string, unknown> | null;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  raisedAt: Date;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  acknowledgedAt?: Date | null;

  @Property({ type: 'string', length: 30, nullable: true })
  acknowledgedBy?: string | null;

  @Property({ type: 'string', length: 1000, nullable: true })
  note?: string | null;
}
