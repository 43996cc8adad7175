import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { RequestValidationFailed, type FieldViolation } from '@app/common';

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
addFormats(ajv, ['date', 'date-time', 'email']);

/** Every property name a schema declares, at any depth: the only names a violation may repeat. */
export function declaredNames(schema: unknown, names = new Set<string>()): Set<string> {
  if (Array.isArray(schema)) {
    for (const item of schema) declaredNames(item, names);
  } else if (schema !== null && typeof schema === 'object') {
    for (const [key, value] of Object.entries(schema as Record<string, unknown>)) {
      if (key === 'properties' && value !== null && typeof value === 'object') {
        for (const name of Object.keys(value)) names.add(name);
      }
      declaredNames(value, names);
    }
  }
  return names;
}

/**
 * ajv errors as field paths and rule names. Submitted values never appear, and neither does a key
 * the schema does not declare (it may be a name or an SSN): such a key is reported by its position
 * among the unknown keys of its object.
 */
export function toViolations(
  errors: ErrorObject[] | null | undefined,
  declared: ReadonlySet<string>,
): FieldViolation[] {
  const safe = (segment: string) => declared.has(segment) || /^\d{1,6}$/.test(segment);
  const unknownSeen = new Map<string, number>();
  const byField = new Map<string, Set<string>>();
  for (const error of errors ?? []) {
    let path = error.instancePath
      .split('/')
      .filter(Boolean)
      .map((segment) => (safe(segment) ? segment : '(unknown property)'))
      .join('.');
    if (error.keyword === 'additionalProperties') {
      const name = String((error.params as { additionalProperty?: string }).additionalProperty ?? '');
      let label = name;
      if (!declared.has(name)) {
        const position = (unknownSeen.get(path) ?? 0) + 1;
        unknownSeen.set(path, position);
        label = `(unknown property #${position})`;
      }
      path = [path, label].filter(Boolean).join('.');
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
  const declared = declaredNames(schema);
  return (body: unknown): T => {
    if (!validate(body)) throw new RequestValidationFailed(toViolations(validate.errors, declared));
    return body as T;
  };
}
