import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuditService } from '@app/audit';
import { Actor, Clock, ResourceNotFound, type AdminRole } from '@app/common';
import { Conflict } from '../identity.errors';
import { AdminSessionsService } from './admin-sessions.service';
import { AdminUser } from './admin-user.entity';
import { AUDITED_REASON_LENGTH, auditedChanger, changedBy } from './registry-change';
import { DEFAULT_PAGE_LIMIT, RegistryPages, type RegistryPage } from './registry-pages';

/** A workforce account as security admins see it (staff email is not ePHI; no hash, no TOTP seed). */
export interface AdminSummary {
  id: string;
  email: string;
  role: AdminRole;
  status: AdminUser['status'];
  createdAt: string;
  disabledAt: string | null;
}

function summaryOf(user: AdminUser): AdminSummary {
  return {
    id: user.id,
    email: user.email,
    role: user.role,
    status: user.status,
    createdAt: user.createdAt.toISOString(),
    disabledAt: user.disabledAt ? user.disabledAt.toISOString() : null,
  };
}

/** Admin accounts as a registry: listed, and disabled with every session ended at once. */
@Injectable()
export class AdminAccountsService {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly sessions: AdminSessionsService,
    private readonly pages: RegistryPages,
  ) {}

  async list(query: { cursor?: string; limit?: number }): Promise<RegistryPage<AdminSummary>> {
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
    const after = await this.pages.after('adm', query.cursor);
    const rows = await this.em
      .fork()
      .find(AdminUser, after ? { id: { $gt: after } } : {}, { orderBy: { id: 'asc' }, limit: limit + 1 });
    return this.pages.page('adm', rows, limit, summaryOf);
  }

  /**
   * The account's status is read from the database on every request (no cache), so the commit alone
   * refuses its tokens; its sessions are then revoked too, which ends refresh. Repeating it changes
   * nothing and records nothing (but ends any session left behind). An admin cannot disable itself.
   */
  async disable(adminId: string, reason: string, actor: Actor): Promise<AdminSummary> {
    if (actor.principal?.kind === 'admin' && actor.principal.id === adminId) {
      throw new Conflict('An admin cannot disable its own account.');
    }
    const em = this.em.fork();
    const user = await em.findOne(AdminUser, { id: adminId });
    if (!user) throw new ResourceNotFound('admin');
    if (user.status === 'active') {
      await em.transactional(async (tx) => {
        const changed = await tx.nativeUpdate(
          AdminUser,
          { id: adminId, status: 'active' },
          {
            status: 'disabled',
            disabledAt: this.clock.now(),
            disabledBy: changedBy(actor),
            disableReason: reason,
          },
        );
        if (changed === 0) return;
        await this.audit.record(tx, {
          ...auditedChanger(actor),
          action: 'admin_user.disable',
          resourceType: 'admin_user',
          resourceIds: [adminId],
          outcome: 'success',
          statusCode: 200,
          reason: reason.slice(0, AUDITED_REASON_LENGTH),
        });
      });
    }
    await this.sessions.revokeAllOf(adminId, 'admin_disabled');
    const after = await this.em.fork().findOneOrFail(AdminUser, { id: adminId });
    return summaryOf(after);
  }
}
