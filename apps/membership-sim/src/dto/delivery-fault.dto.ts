import { IsInt, IsOptional, Max, Min } from 'class-validator';

/**
 * `PUT /sim/deliveries/faults`: answer `status` to the next `times` valid deliveries (to every one
 * when `times` is absent), with `Retry-After` when given; a 2xx status accepts again.
 */
export class DeliveryFaultDto {
  @IsInt()
  @Min(200)
  @Max(599)
  status: number;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  times?: number;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(86_400)
  retryAfterSeconds?: number;
}
