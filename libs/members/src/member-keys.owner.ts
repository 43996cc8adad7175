import { Injectable, OnModuleInit } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { DataKeysService, WrappedSecretOwners, type WrappedSecretOwner } from '@app/crypto';
import { MemberCipher } from './member-cipher';
import { IntegrityViolation } from './member.errors';
import { MemberStore } from './member.store';

/**
 * Member data keys in a KEK rotation: re-wraps each member's data key under the current KEK, or
 * (with `reencrypt`) gives the member a new data key version and re-encrypts every field under
 * it. One transaction per batch; reads and writes of other members go on meanwhile.
 */
@Injectable()
export class MemberKeysOwner implements WrappedSecretOwner, OnModuleInit {
  readonly name = 'member_key';

  constructor(
    private readonly em: EntityManager,
    private readonly store: MemberStore,
    private readonly cipher: MemberCipher,
    private readonly dataKeys: DataKeysService,
    private readonly owners: WrappedSecretOwners,
  ) {}

  onModuleInit(): void {
    this.owners.register(this);
  }

  async count(): Promise<number> {
    const rows = await this.em.fork().execute<Array<{ n: string }>>('select count(*) as n from member_key');
    return Number(rows[0].n);
  }

  rewrapBatch(after: string | null, limit: number, options: { reencrypt: boolean }) {
    return options.reencrypt ? this.reencryptBatch(after, limit) : this.rewrapKeys(after, limit);
  }

  private rewrapKeys(after: string | null, limit: number) {
    return this.em.fork().transactional(async (em) => {
      const keys = await this.store.lockKeysAfter(em, after, limit);
      for (const key of keys) {
        await this.store.replaceKey(
          em,
          key.memberId,
          key.version,
          await this.dataKeys.rewrap(key.memberId, key.version, key.wrapped),
        );
      }
      return { last: keys.at(-1)?.memberId ?? null, count: keys.length };
    });
  }

  private reencryptBatch(after: string | null, limit: number) {
    return this.em.fork().transactional(async (em) => {
      const members = await this.store.lockMembersAfter(em, after, limit);
      for (const member of members) {
        let values;
        try {
          values = await this.cipher.open(member);
        } catch (error) {
          // A tampered member stays as it is (already alerted); its key is still moved to the new KEK.
          if (!(error instanceof IntegrityViolation)) throw error;
          await this.store.replaceKey(
            em,
            member.id,
            member.keyVersion!,
            await this.dataKeys.rewrap(member.id, member.keyVersion!, member.wrappedKey!),
          );
          continue;
        }
        const version = member.keyVersion! + 1;
        const key = await this.dataKeys.create(member.id, version);
        await this.store.replaceCiphertexts(
          em,
          member.id,
          this.cipher.seal(member, version, key.plaintext, values),
        );
        await this.store.replaceKey(em, member.id, version, key.wrapped);
      }
      return { last: members.at(-1)?.id ?? null, count: members.length };
    });
  }
}
