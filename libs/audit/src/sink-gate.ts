import type { AppConfig } from '@app/common';

/** The third parties that receive what the service emits: alerts (SIEM), log lines, KMS calls. */
export const SINKS = ['siem', 'log_sink', 'kms'] as const;
export type Sink = (typeof SINKS)[number];

/**
 * Whether a sink's vendor has a BAA in effect today. Audit must not import the vendor registry, so
 * the registry provides this under `SINK_GATE` (in the worker) and audit asks for it as optional.
 */
export interface SinkGate {
  inEffect(sink: Sink): Promise<boolean>;
}

export const SINK_GATE = Symbol('SinkGate');

const SINK_CONFIG_KEYS = {
  siem: 'siemVendorId',
  log_sink: 'logSinkVendorId',
  kms: 'kmsVendorId',
} as const satisfies Record<Sink, keyof AppConfig['subprocessors']>;

/** The vendor id configuration names for a sink (SIEM_VENDOR_ID, LOG_SINK_VENDOR_ID, KMS_VENDOR_ID). */
export function sinkVendorId(config: AppConfig, sink: Sink): string | undefined {
  return config.subprocessors[SINK_CONFIG_KEYS[sink]];
}

/**
 * The gate where no registry provides one: a sink passes only when configuration names no vendor
 * for it (development; production refuses to boot with a SIEM or KMS and no vendor id). A named
 * vendor that nothing can check is refused.
 */
export function unregisteredSinkGate(config: AppConfig): SinkGate {
  return { inEffect: (sink) => Promise.resolve(sinkVendorId(config, sink) === undefined) };
}
