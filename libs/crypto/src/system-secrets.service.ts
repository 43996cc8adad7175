import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { KeyProvider } from './key-provider';
import { SystemSecret } from './system-secret.entity';

export type SystemSecretName = 'blind-index' | 'cursor';

/**
 * 256-bit service secrets shared by every process: created once (first process wins), stored
 * wrapped by the KEK, held unwrapped only in memory.
 */
@Injectable()
export class SystemSecretsService {
  private readonly loaded = new Map<SystemSecretName, Promise<Buffer>>();

  constructor(
    private readonly em: EntityManager,
    private readonly keyProvider: KeyProvider,
  ) {}

  get(name: SystemSecretName): Promise<Buffer> {
    let secret = this.loaded.get(name);
    if (!secret) {
      secret = this.loadOrCreate(name);
      secret.catch(() => this.loaded.delete(name));
      this.loaded.set(name, secret);
    }
    return secret;
  }

  private async loadOrCreate(name: SystemSecretName): Promise<Buffer> {
    const context = `system-secret:${name}`;
    const em = this.em.fork();
    const existing = await em.findOne(SystemSecret, { name });
    if (existing) return this.keyProvider.unwrap(existing.wrapped, context);
    const secret = randomBytes(32);
    try {
      await em.insert(SystemSecret, {
        name,
        wrapped: await this.keyProvider.wrap(secret, context),
        createdAt: new Date(),
      });
      return secret;
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
      const winner = await this.em.fork().findOneOrFail(SystemSecret, { name });
      return this.keyProvider.unwrap(winner.wrapped, context);
    }
  }
}
