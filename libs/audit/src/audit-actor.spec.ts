import type { RequestMeta } from '@app/common';
import { auditActor } from './audit-actor';

const request = (overrides: Partial<RequestMeta>): RequestMeta => ({
  ip: '203.0.113.7',
  method: 'GET',
  route: '/api/v1/members/:memberId',
  requestId: '0f8fad5b-d9cb-469f-a165-70867728950e',
  ...overrides,
});

describe('auditActor', () => {
  it.each([
    ['GET', 'GET'],
    ['delete', 'DELETE'],
    ['CLI', 'CLI'],
    ['UNSUBSCRIBE', 'OTHER'],
    ['MKCALENDAR', 'OTHER'],
    ['PROPPATCH', 'OTHER'],
    ['SEARCH', 'OTHER'],
  ])('records method %s as %s', (method, audited) => {
    expect(auditActor({ request: request({ method }) }).method).toBe(audited);
  });

  it('cuts request facts to the audit columns so an insert never overflows', () => {
    const sut = auditActor({
      request: request({ ip: '9'.repeat(300), userAgent: 'u'.repeat(5000), route: `/${'r'.repeat(5000)}` }),
    });
    expect(sut.ip).toHaveLength(45);
    expect(sut.userAgent).toHaveLength(256);
    expect(sut.route).toHaveLength(200);
  });
});
