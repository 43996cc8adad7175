import { newId, RequestValidationFailed } from '@app/common';
import { MemberIdPipe } from './member-id.pipe';

describe('MemberIdPipe', () => {
  const sut = new MemberIdPipe();

  it('passes a member id through unchanged', () => {
    const id = newId('member');
    expect(sut.transform(id)).toBe(id);
  });

  it.each([
    ['another kind of id', newId('partner')],
    ['a lowercase id', newId('member').toLowerCase()],
    ['an id with a trailing newline', `${newId('member')}\n`],
    ['an SSN-looking value', '123-45-6789'],
    ['nothing', undefined],
  ])('refuses %s as memberId failing `matches`, without echoing it', (_name, value) => {
    let thrown: unknown;
    try {
      sut.transform(value);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RequestValidationFailed);
    expect((thrown as RequestValidationFailed).violations).toEqual([
      { field: 'memberId', rules: ['matches'] },
    ]);
    if (typeof value === 'string') expect(JSON.stringify(thrown)).not.toContain(value);
  });
});
