/** Levels of risk an officer gives each factor of the §164.402(2) assessment. */
export const RISK_LEVELS = ['low', 'medium', 'high'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

/** The four factors of §164.402(2); notes are the officer's free text (sealed at rest, never logged). */
export interface RiskAssessment {
  /** (i) nature and extent of the PHI involved: identifiers, sensitivity, likelihood of re-identification. */
  natureAndExtent: { level: RiskLevel };
  /** (ii) the unauthorized person who used the PHI or to whom it was disclosed. */
  unauthorizedPerson: { level: RiskLevel };
  /** (iii) whether the PHI was actually acquired or viewed. */
  acquiredOrViewed: { level: RiskLevel; acquired: boolean };
  /** (iv) the extent to which the risk to the PHI has been mitigated. */
  mitigation: { level: RiskLevel };
}

export const ASSESSMENT_FACTORS = [
  'natureAndExtent',
  'unauthorizedPerson',
  'acquiredOrViewed',
  'mitigation',
] as const satisfies readonly (keyof RiskAssessment)[];

export type Determination = 'breach' | 'low_probability';

/**
 * §164.402: an impermissible use or disclosure is presumed a breach (notification required)
 * unless the assessment demonstrates a low probability that the PHI was compromised. We hold it
 * demonstrated only when every factor is low and the PHI was not acquired or viewed; with no
 * assessment yet, the presumption stands.
 */
export function determination(assessment: RiskAssessment | null): Determination {
  if (!assessment) return 'breach';
  const allLow = ASSESSMENT_FACTORS.every((factor) => assessment[factor].level === 'low');
  return allLow && !assessment.acquiredOrViewed.acquired ? 'low_probability' : 'breach';
}
