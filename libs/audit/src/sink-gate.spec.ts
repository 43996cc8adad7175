import { loadAppConfig } from '@app/common';
import { unregisteredSinkGate } from './sink-gate';

const VENDOR = 'vnd_0123456789ABCDEFGHJKMNPQRS';

describe('sink gate without the vendor registry', () => {
  it.each([
    ['no vendor named for the SIEM', true, {}, 'siem'],
    ['a SIEM vendor named but nothing to check it', false, { SIEM_VENDOR_ID: VENDOR }, 'siem'],
    ['a KMS vendor named, asked about the SIEM', true, { KMS_VENDOR_ID: VENDOR }, 'siem'],
    ['a KMS vendor named but nothing to check it', false, { KMS_VENDOR_ID: VENDOR }, 'kms'],
    ['a log sink vendor named but nothing to check it', false, { LOG_SINK_VENDOR_ID: VENDOR }, 'log_sink'],
  ] as const)('%s: %s', async (_name, expected, env, sink) => {
    const sut = unregisteredSinkGate(loadAppConfig({}, env));
    await expect(sut.inEffect(sink)).resolves.toBe(expected);
  });
});
