import { determination, type RiskAssessment, type RiskLevel } from './risk-assessment';

function assessment(levels: [RiskLevel, RiskLevel, RiskLevel, RiskLevel], acquired: boolean): RiskAssessment {
  return {
    natureAndExtent: { level: levels[0] },
    unauthorizedPerson: { level: levels[1] },
    acquiredOrViewed: { level: levels[2], acquired },
    mitigation: { level: levels[3] },
  };
}

describe('determination', () => {
  const sut = determination;

  it('presumes a breach before any assessment', () => {
    expect(sut(null)).toBe('breach');
  });

  it.each([
    [['low', 'low', 'low', 'low'], false, 'low_probability'],
    [['low', 'low', 'low', 'low'], true, 'breach'],
    [['medium', 'low', 'low', 'low'], false, 'breach'],
    [['low', 'high', 'low', 'low'], false, 'breach'],
    [['low', 'low', 'medium', 'low'], false, 'breach'],
    [['low', 'low', 'low', 'medium'], false, 'breach'],
    [['high', 'high', 'high', 'high'], true, 'breach'],
  ] as const)('factors %j, acquired %s → %s', (levels, acquired, expected) => {
    expect(sut(assessment([...levels], acquired))).toBe(expected);
  });
});
