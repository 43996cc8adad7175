import { methodLabel, routeLabel, statusClass, UNMATCHED_ROUTE } from './request-labels';

describe('routeLabel', () => {
  it.each([
    ['/api/v1/members/:memberId', '/api/v1/members/:memberId'],
    ['/metrics', '/metrics'],
    ['/admin/queues/*', '/admin/queues/*'],
  ])('labels a matched request with its route template %s', (template, label) => {
    expect(routeLabel(template)).toBe(label);
  });

  it.each([
    ['no route matched', undefined],
    ['an empty template', ''],
  ])('collapses a request where %s into one label', (_what, template) => {
    expect(routeLabel(template)).toBe(UNMATCHED_ROUTE);
    expect(UNMATCHED_ROUTE).toBe('unmatched');
  });
});

describe('methodLabel', () => {
  it.each(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])('keeps the served method %s', (m) => {
    expect(methodLabel(m)).toBe(m);
  });

  it.each(['PROPFIND', 'TRACE', 'get', 'X'.repeat(200)])(
    'labels %s, which no route serves, as other',
    (m) => {
      expect(methodLabel(m)).toBe('other');
    },
  );
});

describe('statusClass', () => {
  it.each([
    [101, '1xx'],
    [200, '2xx'],
    [204, '2xx'],
    [304, '3xx'],
    [401, '4xx'],
    [404, '4xx'],
    [429, '4xx'],
    [500, '5xx'],
    [503, '5xx'],
  ])('puts %i in %s', (status, label) => {
    expect(statusClass(status)).toBe(label);
  });
});
