import { expiredCookie, readCookie, serializeCookie } from './dashboard-cookies';

describe('dashboard cookies', () => {
  it('always sets Secure and SameSite=Strict, HttpOnly when asked, on the given path', () => {
    expect(serializeCookie('s', 'abc_-1', { httpOnly: true, path: '/admin' })).toBe(
      's=abc_-1; Path=/admin; Secure; SameSite=Strict; HttpOnly',
    );
    expect(serializeCookie('XSRF-TOKEN', 'tok', { httpOnly: false, path: '/admin', maxAgeSeconds: 60 })).toBe(
      'XSRF-TOKEN=tok; Path=/admin; Secure; SameSite=Strict; Max-Age=60',
    );
  });

  it('deletes a cookie with Max-Age=0 on the same path', () => {
    expect(expiredCookie('s', '/admin', true)).toBe(
      's=; Path=/admin; Secure; SameSite=Strict; HttpOnly; Max-Age=0',
    );
  });

  it('refuses to write a value that is not base64url (nothing typed gets into a header)', () => {
    expect(() => serializeCookie('s', 'a;b', { httpOnly: true, path: '/admin' })).toThrow();
    expect(() => serializeCookie('s', 'a\r\nSet-Cookie: x=1', { httpOnly: true, path: '/admin' })).toThrow();
  });

  it.each([
    ['one cookie among others', 'a=1; s=handle_1; b=2', 'handle_1'],
    ['no cookie header', undefined, undefined],
    ['a name that only ends the same', 'xs=handle', undefined],
    ['the name sent twice (another path or a planted cookie)', 's=one; s=two', undefined],
    ['a value with characters a handle never has', 's=ab%20cd', undefined],
    ['an empty value', 's=', undefined],
  ])('reads %s', (_case, header, expected) => {
    expect(readCookie(header, 's')).toBe(expected);
  });
});
