import { ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldViolation, RequestValidationFailed } from './domain-error';

/** Flattens class-validator errors into field paths and rule names; the offending values are dropped. */
export function toFieldViolations(errors: ValidationError[], parent = ''): FieldViolation[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
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
