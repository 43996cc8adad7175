import { loadAppConfig } from './app-config';
import { ConfigError } from './environment';

describe('loadAppConfig', () => {
  it('applies documented defaults to an empty environment', () => {
    const sut = loadAppConfig({});
    expect(sut.http).toMatchObject({
      port: 8443,
      trustProxy: false,
      corsOrigins: [],
      bodyLimitBytes: 1048576,
    });
    expect(sut.database.sslMode).toBe('disable');
    expect(sut.redis.keyPrefix).toBe('msync');
  });

  it('parses trust proxy as a boolean, a hop count or a CIDR list', () => {
    expect(loadAppConfig({ TRUST_PROXY: 'true' }).http.trustProxy).toBe(true);
    expect(loadAppConfig({ TRUST_PROXY: '2' }).http.trustProxy).toBe(2);
    expect(loadAppConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.1' }).http.trustProxy).toEqual([
      '10.0.0.0/8',
      '192.168.1.1',
    ]);
  });

  it.each([
    ['HTTP_PORT', 'eighty', /^Invalid configuration: HTTP_PORT must be an integer number$/],
    [
      'DATABASE_URL',
      'mysql://x',
      /^Invalid configuration: DATABASE_URL must be a postgres:\/\/ connection URL$/,
    ],
    ['REDIS_URL', 'http://x', /^Invalid configuration: REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL$/],
    ['DATABASE_SSL_MODE', 'sometimes', /^Invalid configuration: DATABASE_SSL_MODE must be one of/],
    ['CORS_ORIGINS', '*', /^Invalid configuration: CORS_ORIGINS must be empty or a comma-separated list/],
  ])('stops on a malformed %s with one line naming it', (name, value, message) => {
    const attempt = () => loadAppConfig({ [name]: value });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(message);
  });

  it('never repeats the rejected value in the message', () => {
    expect(() => loadAppConfig({ DATABASE_URL: 'mysql://canary-secret@db' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('canary-secret') }),
    );
  });
});
