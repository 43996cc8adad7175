import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { RequestValidationFailed, type FieldViolation } from '@app/common';

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
addFormats(ajv, ['date', 'date-time', 'email']);

const SAFE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,40}$/;

/** ajv errors as field paths and rule names; the submitted values (and odd property names) never appear. */
export function toViolations(errors: ErrorObject[] | null | undefined): FieldViolation[] {
  const byField = new Map<string, Set<string>>();
  for (const error of errors ?? []) {
    let path = error.instancePath.split('/').filter(Boolean).join('.');
    if (error.keyword === 'additionalProperties') {
      const name = String((error.params as { additionalProperty?: string }).additionalProperty ?? '');
      path = [path, SAFE_NAME.test(name) ? name : '(unknown property)'].filter(Boolean).join('.');
    } else if (error.keyword === 'required') {
      path = [path, String((error.params as { missingProperty?: string }).missingProperty)]
        .filter(Boolean)
        .join('.');
    }
    const field = path || '(body)';
    byField.set(field, (byField.get(field) ?? new Set()).add(error.keyword));
  }
  return [...byField].map(([field, rules]) => ({ field, rules: [...rules] }));
}

/** A compiled validator for a catalog-derived schema; throws RequestValidationFailed (400). */
export function compileValidator<T>(schema: Record<string, unknown>): (body: unknown) => T {
  const validate: ValidateFunction = ajv.compile(schema);
  return (body: unknown): T => {
    if (!validate(body)) throw new RequestValidationFailed(toViolations(validate.errors));
    return body as T;
  };
}
