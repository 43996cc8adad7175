import { IsBoolean, IsInt, IsNumber, IsOptional, Max, Min } from 'class-validator';

/** `POST /sim/generate`. */
export class GenerateDto {
  @IsInt()
  @Min(0)
  @Max(100_000)
  members: number;

  @IsInt()
  @Min(0)
  @Max(200_000)
  changes: number;

  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  seed: number;

  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  dropRate?: number;

  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  duplicateRate?: number;

  @IsOptional()
  @IsBoolean()
  reorder?: boolean;

  /** A pause before each webhook. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(60_000)
  delayMs?: number;

  /** Webhooks in flight at once (1 keeps the planned order exactly). */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(64)
  concurrency?: number;

  /** false: record to the store and the feed only. */
  @IsOptional()
  @IsBoolean()
  send?: boolean;

  /** false: answer 202 with the run at once; poll GET /sim/runs/{runId}. */
  @IsOptional()
  @IsBoolean()
  wait?: boolean;
}
