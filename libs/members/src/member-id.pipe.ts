import { type PipeTransform } from '@nestjs/common';
import { isId, RequestValidationFailed } from '@app/common';

/**
 * The `memberId` path parameter, checked with one regular expression. The global ValidationPipe would
 * build a class instance and run class-validator on every read (a measurable share of a read's CPU,
 * issue 9); the refusal is the same problem it gave: `memberId` failed `matches`, value not echoed.
 */
export class MemberIdPipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    if (!isId('member', value))
      throw new RequestValidationFailed([{ field: 'memberId', rules: ['matches'] }]);
    return value;
  }
}
