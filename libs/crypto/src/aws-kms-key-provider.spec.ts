import {
  DecryptCommand,
  DecryptCommandInput,
  EncryptCommand,
  EncryptCommandInput,
  InvalidCiphertextException,
  KMSClient,
  KMSServiceException,
} from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AwsKmsKeyProvider } from './aws-kms-key-provider';
import { UnwrapFailed } from './key-provider';

const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const KEY_ALIAS = 'alias/member-sync-kek';

/** Stands in for KMS: AES-256-GCM with the encryption context as AAD, as KMS binds it. */
function fakeKms() {
  const master = randomBytes(32);
  const aad = (context: Record<string, string> | undefined) => Buffer.from(JSON.stringify(context ?? {}));
  return {
    encrypt(input: EncryptCommandInput) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', master, iv);
      cipher.setAAD(aad(input.EncryptionContext));
      const ct = Buffer.concat([cipher.update(input.Plaintext!), cipher.final()]);
      return { KeyId: KEY_ARN, CiphertextBlob: Buffer.concat([iv, ct, cipher.getAuthTag()]) };
    },
    decrypt(input: DecryptCommandInput) {
      const blob = Buffer.from(input.CiphertextBlob!);
      try {
        const decipher = createDecipheriv('aes-256-gcm', master, blob.subarray(0, 12));
        decipher.setAAD(aad(input.EncryptionContext));
        decipher.setAuthTag(blob.subarray(blob.length - 16));
        const plaintext = Buffer.concat([
          decipher.update(blob.subarray(12, blob.length - 16)),
          decipher.final(),
        ]);
        return { KeyId: KEY_ARN, Plaintext: plaintext };
      } catch {
        throw new InvalidCiphertextException({ message: 'InvalidCiphertextException', $metadata: {} });
      }
    },
  };
}

describe('AwsKmsKeyProvider', () => {
  const client = new KMSClient({ region: 'us-east-1' });
  const kms = mockClient(client);
  const sut = new AwsKmsKeyProvider({ keyId: KEY_ALIAS, region: 'us-east-1' }, client);

  beforeEach(() => {
    kms.reset();
    const fake = fakeKms();
    kms.on(EncryptCommand).callsFake(fake.encrypt);
    kms.on(DecryptCommand).callsFake(fake.decrypt);
  });

  afterAll(() => kms.restore());

  it('round-trips a secret under the same context', async () => {
    const secret = randomBytes(32);
    const wrapped = await sut.wrap(secret, 'signing-key:k1');
    expect(wrapped).toMatchObject({ kek: KEY_ARN, iv: '', tag: '' });
    expect(Buffer.from(wrapped.ct, 'base64').includes(secret)).toBe(false);
    await expect(sut.unwrap(wrapped, 'signing-key:k1')).resolves.toEqual(secret);
  });

  it('sends the configured key id and the context as the encryption context', async () => {
    const wrapped = await sut.wrap(randomBytes(32), 'admin-totp:adm_A');
    await sut.unwrap(wrapped, 'admin-totp:adm_A');

    expect(kms.commandCalls(EncryptCommand)[0].args[0].input).toMatchObject({
      KeyId: KEY_ALIAS,
      EncryptionContext: { purpose: 'admin-totp:adm_A' },
    });
    expect(kms.commandCalls(DecryptCommand)[0].args[0].input).toMatchObject({
      KeyId: KEY_ALIAS,
      EncryptionContext: { purpose: 'admin-totp:adm_A' },
    });
  });

  it('refuses a secret moved to another context', async () => {
    const wrapped = await sut.wrap(randomBytes(32), 'admin-totp:adm_A');
    await expect(sut.unwrap(wrapped, 'admin-totp:adm_B')).rejects.toBeInstanceOf(UnwrapFailed);
  });

  it('maps InvalidCiphertextException from KMS to UnwrapFailed', async () => {
    const wrapped = await sut.wrap(randomBytes(32), 'ctx');
    const ct = Buffer.from(wrapped.ct, 'base64');
    ct[20] ^= 1;
    await expect(sut.unwrap({ ...wrapped, ct: ct.toString('base64') }, 'ctx')).rejects.toBeInstanceOf(
      UnwrapFailed,
    );
  });

  it.each(['IncorrectKeyException', 'AccessDeniedException'])(
    'maps %s on decrypt to UnwrapFailed',
    async (name) => {
      kms.on(DecryptCommand).rejects(new KMSServiceException({ name, $fault: 'client', $metadata: {} }));
      await expect(
        sut.unwrap({ kek: KEY_ARN, iv: '', ct: randomBytes(64).toString('base64'), tag: '' }, 'ctx'),
      ).rejects.toBeInstanceOf(UnwrapFailed);
    },
  );

  it('propagates throttling as an outage, not as tampering', async () => {
    const throttled = new KMSServiceException({
      name: 'ThrottlingException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
      message: 'Rate exceeded',
    });
    kms.on(DecryptCommand).rejects(throttled);
    const wrapped = await sut.wrap(randomBytes(32), 'ctx');
    await expect(sut.unwrap(wrapped, 'ctx')).rejects.toBe(throttled);
  });

  it('propagates a failed Encrypt as-is', async () => {
    const outage = new KMSServiceException({ name: 'KMSInternalException', $fault: 'server', $metadata: {} });
    kms.on(EncryptCommand).rejects(outage);
    await expect(sut.wrap(randomBytes(32), 'ctx')).rejects.toBe(outage);
  });
});
