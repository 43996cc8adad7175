import type { PartnerScope, PartnerType } from '@app/common';
import { grantedScopes, memberTokenScopes } from './token.service';
import { OAuthError } from './oauth.errors';

const WELLNESS_SCOPES: PartnerScope[] = ['members:read', 'changes:read', 'subscriptions:manage'];

function refusal(run: () => unknown): { code: string; reason: string } | null {
  try {
    run();
    return null;
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error;
    return { code: error.code, reason: error.reason };
  }
}

describe('grantedScopes', () => {
  it.each<[string | undefined, PartnerScope[] | null]>([
    [undefined, WELLNESS_SCOPES],
    ['  ', WELLNESS_SCOPES],
    ['members:read', ['members:read']],
    ['members:read members:read', ['members:read']],
    ['members:write', null],
  ])('asked %j → %j', (requested, expected) => {
    const sut = () => grantedScopes(requested, WELLNESS_SCOPES);
    if (expected) expect(sut()).toEqual(expected);
    else expect(refusal(sut)).toEqual({ code: 'invalid_scope', reason: 'invalid_scope' });
  });
});

describe('memberTokenScopes', () => {
  it.each<
    [PartnerType, string | undefined, PartnerScope[], PartnerScope[] | { code: string; reason: string }]
  >([
    ['wellness_app', undefined, WELLNESS_SCOPES, ['members:read']],
    ['wellness_app', 'members:read', WELLNESS_SCOPES, ['members:read']],
    [
      'wellness_app',
      'members:read changes:read',
      WELLNESS_SCOPES,
      { code: 'invalid_scope', reason: 'invalid_scope' },
    ],
    [
      'wellness_app',
      'subscriptions:manage',
      WELLNESS_SCOPES,
      { code: 'invalid_scope', reason: 'invalid_scope' },
    ],
    ['wellness_app', undefined, ['changes:read'], { code: 'invalid_scope', reason: 'invalid_scope' }],
    [
      'carrier',
      undefined,
      ['members.eligibility:read'],
      { code: 'unauthorized_client', reason: 'member_token_not_allowed' },
    ],
    [
      'benefits_admin',
      'members:read',
      ['members:read'],
      { code: 'unauthorized_client', reason: 'member_token_not_allowed' },
    ],
    [
      'membership_system',
      'members:read',
      ['members:read'],
      { code: 'unauthorized_client', reason: 'member_token_not_allowed' },
    ],
  ])('%s asking %j holding %j → %j', (type, requested, held, expected) => {
    const sut = () => memberTokenScopes(type, requested, held);
    if (Array.isArray(expected)) expect(sut()).toEqual(expected);
    else expect(refusal(sut)).toEqual(expected);
  });
});
