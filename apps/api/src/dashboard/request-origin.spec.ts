import { crossSiteReason, isNavigation, ownOrigins } from './request-origin';

const OWN = ownOrigins('https://api.example.test', '127.0.0.1:8443');

describe('crossSiteReason', () => {
  it.each([
    [
      'our own page (fetch metadata and origin)',
      { 'sec-fetch-site': 'same-origin', origin: 'https://api.example.test' },
      null,
    ],
    ['the host it was sent to', { origin: 'https://127.0.0.1:8443' }, null],
    ['a client that sends neither header (the token still decides)', {}, null],
    ['Origin null from our no-referrer page', { 'sec-fetch-site': 'same-origin', origin: 'null' }, null],
    ['another site', { 'sec-fetch-site': 'cross-site', origin: 'https://evil.test' }, 'cross_site_fetch'],
    ['a sibling subdomain', { 'sec-fetch-site': 'same-site' }, 'cross_site_fetch'],
    ['a foreign Origin without fetch metadata', { origin: 'https://evil.test' }, 'foreign_origin'],
    ['our host over plain http', { origin: 'http://api.example.test' }, 'foreign_origin'],
    ['Origin null without fetch metadata (a sandboxed frame)', { origin: 'null' }, 'foreign_origin'],
  ])('%s', (_case, headers, expected) => {
    expect(crossSiteReason(headers, OWN)).toBe(expected);
  });
});

describe('isNavigation', () => {
  it.each([
    ['a page the browser opens', 'GET', { 'sec-fetch-mode': 'navigate' }, true],
    ["the board's background fetch", 'GET', { 'sec-fetch-mode': 'cors', accept: 'application/json' }, false],
    ['a script or stylesheet', 'GET', { 'sec-fetch-mode': 'no-cors' }, false],
    ['an older browser asking for HTML', 'GET', { accept: 'text/html,application/xhtml+xml' }, true],
    ['a script client', 'GET', { accept: 'application/json' }, false],
    ['a change', 'PUT', { 'sec-fetch-mode': 'navigate' }, false],
  ])('%s', (_case, method, headers, expected) => {
    expect(isNavigation(method, headers)).toBe(expected);
  });
});
