import { Injectable } from '@nestjs/common';
import { RequestValidationFailed } from '@app/common';
import { SignedCursors } from '@app/crypto';

export interface RegistryPage<T> {
  data: T[];
  nextCursor: string | null;
}

interface IdCursor {
  k: string;
  i: string;
}

export const DEFAULT_PAGE_LIMIT = 50;

/**
 * Keyset paging by id for the registry lists (organizations, partners, admins): ids are ULIDs, so
 * id order is creation order. The cursor is signed and names its list, so one list's cursor (or a
 * forged one) is refused like a malformed one.
 */
@Injectable()
export class RegistryPages {
  constructor(private readonly cursors: SignedCursors) {}

  /** The id the page starts after, or null for the first page. */
  async after(list: string, cursor: string | undefined): Promise<string | null> {
    if (!cursor) return null;
    const state = await this.cursors.verify<IdCursor>(cursor);
    if (!state || state.k !== list || typeof state.i !== 'string') {
      throw new RequestValidationFailed([{ field: 'cursor', rules: ['cursor'] }]);
    }
    return state.i;
  }

  /** A page from `limit + 1` rows read in id order: the extra row only says whether more follow. */
  async page<R extends { id: string }, T>(
    list: string,
    rows: readonly R[],
    limit: number,
    view: (row: R) => T,
  ): Promise<RegistryPage<T>> {
    const shown = rows.slice(0, limit);
    const last = rows.length > limit ? shown[shown.length - 1] : undefined;
    return {
      data: shown.map(view),
      nextCursor: last ? await this.cursors.sign({ k: list, i: last.id } satisfies IdCursor) : null,
    };
  }
}
