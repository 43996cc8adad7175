import type { IncomingMessage } from 'node:http';
import { requestIdFor } from './request-id';

const req = (value?: string) =>
  ({ headers: value === undefined ? {} : { 'x-request-id': value } }) as IncomingMessage;

describe('requestIdFor', () => {
  it('keeps a caller-supplied UUID', () => {
    expect(requestIdFor(req('3F1C2A9E-5B7D-4C1E-9F00-0123456789AB'))).toBe(
      '3f1c2a9e-5b7d-4c1e-9f00-0123456789ab',
    );
  });

  it.each(['', 'not-a-uuid', '<script>', '3f1c2a9e-5b7d-4c1e-9f00-0123456789ab\nforged log line'])(
    'replaces %p with a fresh UUID',
    (value) => {
      const sut = requestIdFor(req(value));
      expect(sut).not.toBe(value);
      expect(sut).toMatch(/^[0-9a-f-]{36}$/);
    },
  );
});
