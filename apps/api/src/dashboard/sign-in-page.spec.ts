import { parseForm } from './dashboard-sign-in';
import { escapeHtml, signInPage, signOutPage, SIGN_IN_MESSAGES } from './sign-in-page';

describe('sign-in pages', () => {
  it('escapes what it writes into HTML', () => {
    expect(escapeHtml(`<script>"x"&'y'</script>`)).toBe(
      '&#60;script&#62;&#34;x&#34;&#38;&#39;y&#39;&#60;/script&#62;',
    );
  });

  it('renders the form with its token and a fixed message, and no script', () => {
    const html = signInPage('form_token-1', 'failed');
    expect(html).toContain('name="formToken" value="form_token-1"');
    expect(html).toContain(SIGN_IN_MESSAGES.failed);
    expect(html).toContain('action="/admin/sign-in"');
    expect(html).not.toMatch(/<script/i);
  });

  it('puts the CSRF token in the sign-out form', () => {
    expect(signOutPage('csrf_1')).toContain('name="csrf" value="csrf_1"');
  });
});

describe('parseForm', () => {
  it('reads urlencoded fields', () => {
    expect(parseForm('email=a%40example.test&totp=123456')).toEqual({
      email: 'a@example.test',
      totp: '123456',
    });
  });

  it('refuses a repeated field instead of choosing one', () => {
    expect(parseForm('email=a&email=b')).toBeNull();
  });

  it('keeps __proto__ as a plain field, never as a prototype', () => {
    const form = parseForm('__proto__=x&email=a');
    expect(Object.getPrototypeOf(form)).toBe(Object.prototype);
    expect(form?.email).toBe('a');
  });
});
