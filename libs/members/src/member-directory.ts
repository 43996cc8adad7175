import { Injectable, OnModuleInit } from '@nestjs/common';
import { ObjectAccessService } from '@app/identity';
import { MemberStore } from './member.store';

/**
 * Tells identity which organization a live member belongs to (ids only, no ePHI, not an audited
 * read), so it can vet a member-scoped token request without reaching into this lib.
 */
@Injectable()
export class MemberDirectory implements OnModuleInit {
  constructor(
    private readonly store: MemberStore,
    private readonly access: ObjectAccessService,
  ) {}

  onModuleInit(): void {
    this.access.useMemberLookup((memberId) => this.organizationOf(memberId));
  }

  async organizationOf(memberId: string): Promise<string | null> {
    // No fields: the read selects ids and the key row only, no ciphertext.
    const member = await this.store.findLive(memberId, []);
    return member?.organizationId ?? null;
  }
}
