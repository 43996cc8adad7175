import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { KeyProvider, UnwrapFailed, WrappedSecret } from './key-provider';

export interface AwsKmsKeyProviderOptions {
  /** Key id, key ARN, alias name or alias ARN of a symmetric KMS key. */
  keyId: string;
  region: string;
  /** A VPC endpoint or a local stand-in; omitted = the regional endpoint. */
  endpoint?: string;
}

/**
 * KMS's answers to a ciphertext it will not open for this caller: wrong context, another key, tampered
 * blob, or a key policy conditioned on the context. Anything else (throttling, KMS or network
 * outage) is not evidence of tampering and propagates so the caller retries.
 */
const REFUSALS = new Set(['InvalidCiphertextException', 'IncorrectKeyException', 'AccessDeniedException']);

/**
 * KEK in AWS KMS: the key material never leaves KMS. `context` is sent as the KMS encryption context,
 * which KMS binds as authenticated data and records in CloudTrail (so it must never hold ePHI).
 */
export class AwsKmsKeyProvider extends KeyProvider {
  readonly name = 'aws-kms';
  private readonly client: KMSClient;

  constructor(
    private readonly options: AwsKmsKeyProviderOptions,
    client?: KMSClient,
  ) {
    super();
    this.client =
      client ??
      new KMSClient({
        region: options.region,
        endpoint: options.endpoint,
        requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000 },
      });
  }

  async wrap(secret: Buffer, context: string): Promise<WrappedSecret> {
    const out = await this.client.send(
      new EncryptCommand({
        KeyId: this.options.keyId,
        Plaintext: secret,
        EncryptionContext: { purpose: context },
      }),
    );
    if (!out.CiphertextBlob) throw new Error('KMS Encrypt answered without a ciphertext');
    // The KMS ciphertext blob carries its own nonce, tag and key reference, so iv and tag stay empty.
    return {
      kek: out.KeyId ?? this.options.keyId,
      iv: '',
      ct: Buffer.from(out.CiphertextBlob).toString('base64'),
      tag: '',
    };
  }

  async unwrap(wrapped: WrappedSecret, context: string): Promise<Buffer> {
    let plaintext: Uint8Array | undefined;
    try {
      // The configured key, never the one named in the stored row: KMS refuses a blob of another key.
      ({ Plaintext: plaintext } = await this.client.send(
        new DecryptCommand({
          KeyId: this.options.keyId,
          CiphertextBlob: Buffer.from(wrapped.ct, 'base64'),
          EncryptionContext: { purpose: context },
        }),
      ));
    } catch (error) {
      const name = (error as { name?: unknown } | null)?.name;
      if (typeof name === 'string' && REFUSALS.has(name)) throw new UnwrapFailed();
      throw error;
    }
    if (!plaintext) throw new Error('KMS Decrypt answered without a plaintext');
    return Buffer.from(plaintext);
  }
}
