/** The FHIR systems this export names (identifier namespaces and the code systems R4 requires). */
export const FHIR_SYSTEMS = {
  ssn: 'http://hl7.org/fhir/sid/us-ssn',
  memberNumber: 'https://member-sync.dev/fhir/sid/member-number',
  memberId: 'https://member-sync.dev/fhir/sid/member-id',
  organizationId: 'https://member-sync.dev/fhir/sid/organization-id',
  identifierType: 'http://terminology.hl7.org/CodeSystem/v2-0203',
  coverageClass: 'http://terminology.hl7.org/CodeSystem/coverage-class',
  subscriberRelationship: 'http://terminology.hl7.org/CodeSystem/subscriber-relationship',
} as const;

type Json = Record<string, unknown>;

/** The member document (all groups) as the members service projects it. */
export interface MemberDocument {
  id: string;
  organizationId: string;
  identity?: { givenName?: string; familyName?: string; dateOfBirth?: string; sex?: string };
  governmentId?: { ssn?: string };
  contact?: {
    email?: string;
    phone?: string;
    address?: {
      line1: string;
      line2?: string | null;
      city: string;
      state: string;
      postalCode: string;
      country: string;
    };
  };
  membership?: { externalMemberNumber?: string; employerGroupId?: string };
  coverage?: {
    planCode?: string;
    coverageTier?: string;
    effectiveDate?: string;
    terminationDate?: string | null;
    status?: string;
  };
  [group: string]: unknown;
}

// Coverage.status is a financial-resource status (active | cancelled | draft | entered-in-error).
const COVERAGE_STATUS: Record<string, string> = {
  active: 'active',
  pending: 'draft',
  terminated: 'cancelled',
};

const compact = (object: Json): Json =>
  Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined && v !== null));

function identifier(system: string, value: string, typeCode?: string): Json {
  return compact({
    ...(typeCode ? { type: { coding: [{ system: FHIR_SYSTEMS.identifierType, code: typeCode }] } } : {}),
    system,
    value,
  });
}

function patientOf(member: MemberDocument, id: string): Json {
  const { identity, governmentId, contact, membership } = member;
  // The member's own record (designated record set): the SSN is theirs and is included (docs/api-guide.md).
  const identifiers = [
    identifier(FHIR_SYSTEMS.memberId, member.id),
    membership?.externalMemberNumber
      ? identifier(FHIR_SYSTEMS.memberNumber, membership.externalMemberNumber, 'MB')
      : undefined,
    governmentId?.ssn ? identifier(FHIR_SYSTEMS.ssn, governmentId.ssn, 'SS') : undefined,
  ].filter(Boolean);
  const telecom = [
    contact?.email ? { system: 'email', value: contact.email, use: 'home' } : undefined,
    contact?.phone ? { system: 'phone', value: contact.phone, use: 'mobile' } : undefined,
  ].filter(Boolean);
  const address = contact?.address;
  return compact({
    resourceType: 'Patient',
    id,
    identifier: identifiers,
    name:
      identity?.givenName || identity?.familyName
        ? [
            compact({
              use: 'official',
              family: identity.familyName,
              given: identity.givenName ? [identity.givenName] : undefined,
            }),
          ]
        : undefined,
    gender: identity?.sex,
    birthDate: identity?.dateOfBirth,
    telecom: telecom.length ? telecom : undefined,
    address: address
      ? [
          compact({
            use: 'home',
            line: [address.line1, address.line2].filter((l): l is string => Boolean(l)),
            city: address.city,
            state: address.state,
            postalCode: address.postalCode,
            country: address.country,
          }),
        ]
      : undefined,
  });
}

function coverageOf(member: MemberDocument, id: string, patientUrl: string): Json | null {
  const coverage = member.coverage;
  if (!coverage) return null;
  const classes = [
    coverage.planCode ? { code: 'plan', value: coverage.planCode } : undefined,
    member.membership?.employerGroupId
      ? { code: 'group', value: member.membership.employerGroupId }
      : undefined,
  ]
    .filter((c): c is { code: string; value: string } => Boolean(c))
    .map((c) => ({
      type: { coding: [{ system: FHIR_SYSTEMS.coverageClass, code: c.code }] },
      value: c.value,
    }));
  return compact({
    resourceType: 'Coverage',
    id,
    status: COVERAGE_STATUS[coverage.status ?? 'active'] ?? 'active',
    subscriberId: member.membership?.externalMemberNumber,
    beneficiary: { reference: patientUrl },
    relationship: { coding: [{ system: FHIR_SYSTEMS.subscriberRelationship, code: 'self' }] },
    period: coverage.effectiveDate
      ? compact({ start: coverage.effectiveDate, end: coverage.terminationDate ?? undefined })
      : undefined,
    // Payor is 1..* in R4: the plan sponsor (the member's organization), by identifier.
    payor: [{ identifier: identifier(FHIR_SYSTEMS.organizationId, member.organizationId) }],
    class: classes.length ? classes : undefined,
  });
}

/**
 * The member's record as a FHIR R4 `Bundle` of type `collection`: one `Patient` and, when the
 * member has coverage, one `Coverage` whose beneficiary is that Patient. Entries are addressed by
 * `urn:uuid:` fullUrls (`newUuid` is injected so tests are deterministic).
 */
export function memberFhirBundle(
  member: MemberDocument,
  options: { generatedAt: Date; newUuid: () => string },
): Json {
  const bundleId = options.newUuid();
  const patientId = options.newUuid();
  const patientUrl = `urn:uuid:${patientId}`;
  const entry: Json[] = [{ fullUrl: patientUrl, resource: patientOf(member, patientId) }];
  const coverageId = options.newUuid();
  const coverage = coverageOf(member, coverageId, patientUrl);
  if (coverage) entry.push({ fullUrl: `urn:uuid:${coverageId}`, resource: coverage });
  return {
    resourceType: 'Bundle',
    id: bundleId,
    type: 'collection',
    timestamp: options.generatedAt.toISOString(),
    entry,
  };
}
