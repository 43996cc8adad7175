import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { CreateVendorDto } from './create-vendor.dto';

const validVendor = () => ({
  name: 'Example Clearinghouse',
  role: 'partner',
  baa: { status: 'signed', signedAt: '2026-01-02', permittedCategories: ['identity'] },
});

describe('CreateVendorDto', () => {
  it('accepts a vendor with its BAA', async () => {
    expect(await validate(plainToInstance(CreateVendorDto, validVendor()))).toEqual([]);
  });

  // Found by the Postman fuzz run: without `baa` the request reached the service and answered 500.
  it.each([
    ['missing', undefined],
    ['null', null],
    ['a string', 'signed'],
  ])('refuses a vendor whose BAA is %s', async (_label, baa) => {
    const errors = await validate(plainToInstance(CreateVendorDto, { ...validVendor(), baa }));
    expect(errors.map((e) => e.property)).toContain('baa');
  });
});
