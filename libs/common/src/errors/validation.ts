import { ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldViolation, RequestValidationFailed } from './domain-error';

// A property name we may repeat: an identifier our DTOs could declare, or an array index. Anything
// else (a key with spaces, digits and dashes, a name) was typed by the caller and is never echoed.
const SAFE_PROPERTY = /^(?:[A-Za-z][A-Za-z0-9_]{0,63}|\d{1,6})$/;
const UNKNOWN_PROPERTY_RULE = 'whitelistValidation';

/** How a property appears in a violation: by name when ours, by position among unknown keys otherwise. */
function fieldName(error: ValidationError, unknownPosition: () => number): string {
  // A whitelist error is a key no DTO declares: its name is the caller's text, whatever it looks like.
  const unknown = error.constraints && UNKNOWN_PROPERTY_RULE in error.constraints;
  if (!unknown && SAFE_PROPERTY.test(error.property)) return error.property;
  return `(unknown property #${unknownPosition()})`;
}

/**
 * Flattens class-validator errors into field paths and rule names; the offending values are dropped,
 * and so are the names of keys the caller made up (reported by position in their object).
 */
export function toFieldViolations(errors: ValidationError[], parent = ''): FieldViolation[] {
  let unknownCount = 0;
  const nextUnknown = () => (unknownCount += 1);
  return errors.flatMap((error) => {
    const name = fieldName(error, nextUnknown);
    const field = parent ? `${parent}.${name}` : name;
    const own: FieldViolation[] = error.constraints ? [{ field, rules: Object.keys(error.constraints) }] : [];
    return [...own, ...toFieldViolations(error.children ?? [], field)];
  });
}

/** The one validation pipe: unknown fields are refused, types are transformed, values never echoed. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    forbidUnknownValues: true,
    stopAtFirstError: false,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new RequestValidationFailed(toFieldViolations(errors)),
  });
}
