import { Injectable } from '@nestjs/common';
import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import * as argon2 from 'argon2';
import { AuditService } from '@app/audit';
import { Clock, newId, type AdminRole } from '@app/common';
import { KeyProvider } from '@app/crypto';
import { ARGON2_OPTIONS } from '../clients/clients.service';
import { Conflict, InvalidRegistration } from '../identity.errors';
import { AdminUser } from './admin-user.entity';
import { newTotpSecret, totpEnrolmentUri } from './totp';

export interface CreatedAdmin {
  id: string;
  email: string;
  role: AdminRole;
  totpSecret: string;
  otpauthUrl: string;
}

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,189}\.[^\s@]{2,}$/;

@Injectable()
export class AdminUsersService {
  constructor(
    private readonly em: EntityManager,
    private readonly keyProvider: KeyProvider,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** Creates an account with a fresh TOTP seed; the seed is returned once and stored only wrapped. */
  async create(input: { email: string; password: string; role: AdminRole }): Promise<CreatedAdmin> {
    const email = input.email.trim().toLowerCase();
    if (!EMAIL.test(email) || email.length > 254) throw new InvalidRegistration('email is not an address.');
    if (input.password.length < 12 || input.password.length > 256) {
      throw new InvalidRegistration('The password must be 12 to 256 characters.');
    }
    const id = newId('admin');
    const totpSecret = newTotpSecret();
    const totpSecretWrapped = await this.keyProvider.wrap(Buffer.from(totpSecret), `admin-totp:${id}`);
    const passwordHash = await argon2.hash(input.password, ARGON2_OPTIONS);
    try {
      await this.em.fork().transactional(async (em) => {
        await em.insert(AdminUser, {
          id,
          email,
          passwordHash,
          role: input.role,
          totpSecretWrapped,
          status: 'active',
          createdAt: this.clock.now(),
        });
        await this.audit.record(em, {
          actorType: 'system',
          action: 'admin_user.create',
          resourceType: 'admin_user',
          resourceIds: [id],
          outcome: 'success',
        });
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException)
        throw new Conflict('An admin with that email exists.');
      throw error;
    }
    return { id, email, role: input.role, totpSecret, otpauthUrl: totpEnrolmentUri(email, totpSecret) };
  }

  findActiveByEmail(email: string): Promise<AdminUser | null> {
    return this.em.fork().findOne(AdminUser, { email: email.trim().toLowerCase(), status: 'active' });
  }

  findActive(id: string): Promise<AdminUser | null> {
    return this.em.fork().findOne(AdminUser, { id, status: 'active' });
  }

  async totpSecretOf(user: AdminUser): Promise<string> {
    return (await this.keyProvider.unwrap(user.totpSecretWrapped, `admin-totp:${user.id}`)).toString();
  }
}
