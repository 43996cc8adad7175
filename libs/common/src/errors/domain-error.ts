import { PROBLEM_TYPES, ProblemType } from './problem-types';

/**
 * Base of every error a service throws on purpose. Services never throw HttpException; the
 * problem filter maps a DomainError to its problem type. `detail` must never contain a
 * submitted value or any ePHI: it is sent to the client and written to the log.
 */
export abstract class DomainError extends Error {
  abstract readonly type: ProblemType;
  /** Extra members for the problem body (field names, ids): never submitted values. */
  readonly extensions: Record<string, unknown> = {};

  get status(): number {
    return PROBLEM_TYPES[this.type].status;
  }
}

export interface FieldViolation {
  field: string;
  rules: string[];
}

export class RequestValidationFailed extends DomainError {
  readonly type = 'validation-failed' as const;

  constructor(readonly violations: FieldViolation[]) {
    super(`Invalid fields: ${violations.map((v) => v.field).join(', ')}`);
    this.extensions.errors = violations;
  }
}
