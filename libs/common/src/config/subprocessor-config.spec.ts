import { loadAppConfig } from './app-config';
import { ConfigError } from './environment';

const VENDOR = 'vnd_0123456789ABCDEFGHJKMNPQRS';
const siem = {
  SECURITY_WEBHOOK_URL: 'https://siem.example.test/hook',
  SECURITY_WEBHOOK_SECRET: `whsec_${'A'.repeat(32)}`,
};
const kms = { KEY_PROVIDER: 'aws-kms', AWS_KMS_KEY_ID: 'alias/member-sync-kek', AWS_REGION: 'us-east-1' };

describe('subprocessor vendor ids (the sink gate)', () => {
  it('reads the three vendor ids, none required outside production', () => {
    expect(loadAppConfig({}).subprocessors).toEqual({});
    expect(loadAppConfig({ ...siem, ...kms }).subprocessors).toEqual({});
    const sut = loadAppConfig({ SIEM_VENDOR_ID: VENDOR, LOG_SINK_VENDOR_ID: VENDOR, KMS_VENDOR_ID: VENDOR });
    expect(sut.subprocessors).toEqual({ siemVendorId: VENDOR, logSinkVendorId: VENDOR, kmsVendorId: VENDOR });
  });

  it.each([
    ['SIEM_VENDOR_ID', { ...siem }, 'is required in production when SECURITY_WEBHOOK_URL is set'],
    ['KMS_VENDOR_ID', { ...kms }, 'is required in production when KEY_PROVIDER is aws-kms or vault-transit'],
  ])('stops a production boot without %s when its sink is configured', (name, env, message) => {
    expect(() => loadAppConfig({ ...env, NODE_ENV: 'production' })).toThrow(
      new ConfigError(`Invalid configuration: ${name} ${message}`),
    );
  });

  it('boots in production when each configured sink names its vendor, and needs none for unconfigured sinks', () => {
    const sut = loadAppConfig({
      ...siem,
      ...kms,
      NODE_ENV: 'production',
      SIEM_VENDOR_ID: VENDOR,
      KMS_VENDOR_ID: VENDOR,
    });
    expect(sut.subprocessors).toMatchObject({ siemVendorId: VENDOR, kmsVendorId: VENDOR });
    expect(loadAppConfig({ NODE_ENV: 'production' }).subprocessors).toEqual({});
  });

  it.each(['SIEM_VENDOR_ID', 'LOG_SINK_VENDOR_ID', 'KMS_VENDOR_ID'])(
    'refuses a %s that is not a vendor id',
    (name) => {
      expect(() => loadAppConfig({ [name]: 'prt_0123456789ABCDEFGHJKMNPQRS' })).toThrow(
        new ConfigError(`Invalid configuration: ${name} must be a vendor id (vnd_ + 26 characters)`),
      );
    },
  );
});
