import { PassThrough } from 'node:stream';
import { DomainError } from '../errors/domain-error';
import {
  answerClientError,
  clientErrorResponse,
  frameworkRefusal,
  MalformedUrl,
  UriTooLong,
} from './framework-errors';

const REQUEST_ID = '0f8fad5b-d9cb-469f-a165-70867728950e';

function parse(response: string) {
  const [head, body] = response.split('\r\n\r\n');
  const [statusLine, ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(
    lines.map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()]),
  );
  return { status: Number(statusLine.split(' ')[1]), headers, body: JSON.parse(body) };
}

describe('clientErrorResponse', () => {
  it.each([
    ['HPE_HEADER_OVERFLOW', 431, 'request-header-fields-too-large'],
    ['ERR_HTTP_REQUEST_TIMEOUT', 408, 'request-timeout'],
    ['HPE_INVALID_METHOD', 400, 'bad-request'],
    [undefined, 400, 'bad-request'],
  ])('answers %s with %s %s', (code, status, type) => {
    const sut = parse(clientErrorResponse(code, 31536000, REQUEST_ID));
    expect(sut.status).toBe(status);
    expect(sut.body).toMatchObject({
      status,
      type: `https://member-sync.dev/problems/${type}`,
      requestId: REQUEST_ID,
    });
  });

  it('carries our headers and a length that matches the body', () => {
    const response = clientErrorResponse('HPE_HEADER_OVERFLOW', 31536000, REQUEST_ID);
    const sut = parse(response);
    expect(sut.headers).toMatchObject({
      'content-type': 'application/problem+json; charset=utf-8',
      'x-request-id': REQUEST_ID,
      'cache-control': 'no-store',
      'strict-transport-security': 'max-age=31536000; includeSubDomains',
      connection: 'close',
    });
    expect(Number(sut.headers['content-length'])).toBe(Buffer.byteLength(response.split('\r\n\r\n')[1]));
  });
});

describe('answerClientError', () => {
  it('writes the problem and closes the socket', () => {
    const socket = new PassThrough();
    const written: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => written.push(chunk));
    answerClientError(Object.assign(new Error('x'), { code: 'HPE_HEADER_OVERFLOW' }), socket, 60);
    expect(Buffer.concat(written).toString()).toMatch(/^HTTP\/1\.1 431 /);
    expect(socket.writableEnded).toBe(true);
  });

  it('leaves a reset connection alone', () => {
    const socket = new PassThrough();
    answerClientError(Object.assign(new Error('x'), { code: 'ECONNRESET' }), socket, 60);
    expect(socket.writableEnded).toBe(false);
  });
});

describe('frameworkRefusal', () => {
  it('maps a long path segment to 414, a bad escape to 400 and anything else to an error of ours', () => {
    expect(frameworkRefusal('FST_ERR_MAX_PARAM_LENGTH')).toBeInstanceOf(UriTooLong);
    expect(frameworkRefusal('FST_ERR_BAD_URL')).toBeInstanceOf(MalformedUrl);
    expect(frameworkRefusal('FST_ERR_ASYNC_CONSTRAINT')).not.toBeInstanceOf(DomainError);
  });
});
