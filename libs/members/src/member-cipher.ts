import { Injectable, Logger } from '@nestjs/common';
import { AlertsService } from '@app/audit';
import { CiphertextRejected, DataKeysService, openField, sealField, UnwrapFailed } from '@app/crypto';
import type { MemberField } from './catalog/field-catalog';
import { IntegrityViolation } from './member.errors';
import type { StoredMember } from './member.store';
import type { MemberValues } from './projection';

/** AAD binding a ciphertext to its organization, member, field and data-key version. */
export function fieldAad(
  organizationId: string,
  memberId: string,
  field: MemberField,
  keyVersion: number,
): string {
  return `${organizationId}|${memberId}|${field}|${keyVersion}`;
}

/** Encrypts and decrypts member field values with the member's data key (envelope encryption). */
@Injectable()
export class MemberCipher {
  private readonly logger = new Logger('MemberCipher');

  constructor(
    private readonly dataKeys: DataKeysService,
    private readonly alerts: AlertsService,
  ) {}

  seal(
    member: { id: string; organizationId: string },
    keyVersion: number,
    dataKey: Buffer,
    values: MemberValues,
  ): Partial<Record<MemberField, Buffer>> {
    const sealed: Partial<Record<MemberField, Buffer>> = {};
    for (const [field, value] of Object.entries(values) as [MemberField, unknown][]) {
      sealed[field] = sealField(
        dataKey,
        Buffer.from(JSON.stringify(value)),
        fieldAad(member.organizationId, member.id, field, keyVersion),
      );
    }
    return sealed;
  }

  async dataKeyOf(stored: StoredMember): Promise<Buffer> {
    if (!stored.wrappedKey || stored.keyVersion === null) return this.violation(stored, 'data_key_missing');
    try {
      return await this.dataKeys.unwrap(stored.id, stored.keyVersion, stored.wrappedKey);
    } catch (error) {
      if (error instanceof UnwrapFailed) return this.violation(stored, 'data_key_rejected');
      throw error;
    }
  }

  /** Decrypts every ciphertext the row carries; any failure is an integrity violation (alerted, no data). */
  async open(stored: StoredMember): Promise<MemberValues> {
    const fields = Object.keys(stored.ciphertexts) as MemberField[];
    if (fields.length === 0) return {};
    const key = await this.dataKeyOf(stored);
    const values: MemberValues = {};
    for (const field of fields) {
      try {
        const plain = openField(
          key,
          stored.ciphertexts[field]!,
          fieldAad(stored.organizationId, stored.id, field, stored.keyVersion!),
        );
        values[field] = JSON.parse(plain.toString('utf8')) as unknown;
      } catch (error) {
        if (error instanceof CiphertextRejected) return this.violation(stored, 'ciphertext_rejected', field);
        throw error;
      }
    }
    return values;
  }

  private async violation(stored: StoredMember, reason: string, field?: MemberField): Promise<never> {
    this.logger.error({ memberId: stored.id, reason, field }, 'member integrity violation');
    await this.alerts.raise(
      'integrity_violation',
      'critical',
      `member:${stored.id}`,
      { reason, field: field ?? null },
      60_000,
    );
    throw new IntegrityViolation();
  }
}
