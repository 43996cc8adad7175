import type { NotificationDeadlines } from './notification-deadlines';

/** The HHS breach portal's "Type of Breach" choices. */
export const BREACH_TYPES = [
  'hacking_it_incident',
  'unauthorized_access_disclosure',
  'theft',
  'loss',
  'improper_disposal',
  'other',
] as const;
export type BreachType = (typeof BREACH_TYPES)[number];

/** The portal's "Location of Breached Information" choices. */
export const BREACH_LOCATIONS = [
  'network_server',
  'electronic_medical_record',
  'email',
  'desktop_computer',
  'laptop',
  'other_portable_electronic_device',
  'paper_films',
  'other',
] as const;
export type BreachLocation = (typeof BREACH_LOCATIONS)[number];

/** The portal's "Safeguards in Place Prior to Breach" choices. */
export const SAFEGUARDS = [
  'none',
  'privacy_rule_safeguards',
  'security_rule_administrative_safeguards',
  'security_rule_physical_safeguards',
  'security_rule_technical_safeguards',
] as const;
export type Safeguard = (typeof SAFEGUARDS)[number];

/** The portal's "Actions Taken in Response to Breach" choices (the ones that apply to this service). */
export const BREACH_ACTIONS = [
  'adopted_encryption_technologies',
  'changed_password_strong_password_requirements',
  'created_new_updated_security_rule_risk_analysis',
  'implemented_new_technical_safeguards',
  'implemented_periodic_technical_and_nontechnical_evaluations',
  'improved_physical_security',
  'provided_individuals_with_free_credit_monitoring',
  'revised_business_associate_contracts',
  'revised_policies_and_procedures',
  'sanctioned_workforce_members_involved',
  'took_steps_to_mitigate_harm',
  'trained_or_retrained_workforce_members',
  'other',
] as const;
export type BreachAction = (typeof BREACH_ACTIONS)[number];

/** What the officer states for the HHS report; absent parts take the defaults below. */
export interface HhsStatement {
  typeOfBreach?: BreachType;
  locationOfBreachedInformation?: BreachLocation;
  safeguardsInPlace?: Safeguard[];
  actionsTaken?: BreachAction[];
}

export interface HhsReport {
  breachStartDate: string | null;
  breachEndDate: string | null;
  discoveryDate: string;
  numberAffected: number;
  typeOfBreach: BreachType;
  locationOfBreachedInformation: BreachLocation;
  safeguardsInPlace: Safeguard[];
  actionsTaken: BreachAction[];
  submission: NotificationDeadlines['hhs'];
}

// This service encrypts every field, audits every access and runs under written policies.
const DEFAULT_SAFEGUARDS: Safeguard[] = [
  'privacy_rule_safeguards',
  'security_rule_administrative_safeguards',
  'security_rule_technical_safeguards',
];

/**
 * The HHS breach portal's fields for an incident: dates, counts and choices, never an individual's
 * data. A compromised client defaults to a hacking/IT incident on a network server; containing it
 * counts as a changed credential.
 */
export function hhsReport(
  incident: {
    breachStart: Date | null;
    breachEnd: Date | null;
    discoveredAt: Date;
    affected: number;
    compromisedClient: boolean;
    contained: boolean;
  },
  statement: HhsStatement,
  deadlines: NotificationDeadlines,
): HhsReport {
  const day = (d: Date | null) => (d ? d.toISOString().slice(0, 10) : null);
  const actions = new Set<BreachAction>(statement.actionsTaken ?? []);
  if (incident.contained) actions.add('changed_password_strong_password_requirements');
  return {
    breachStartDate: day(incident.breachStart),
    breachEndDate: day(incident.breachEnd),
    discoveryDate: day(incident.discoveredAt)!,
    numberAffected: incident.affected,
    typeOfBreach: statement.typeOfBreach ?? (incident.compromisedClient ? 'hacking_it_incident' : 'other'),
    locationOfBreachedInformation: statement.locationOfBreachedInformation ?? 'network_server',
    safeguardsInPlace: statement.safeguardsInPlace ?? DEFAULT_SAFEGUARDS,
    actionsTaken: BREACH_ACTIONS.filter((a) => actions.has(a)),
    submission: deadlines.hhs,
  };
}
