import { IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

/** `PUT /sim/feed-token`: the change feed's bearer token (a random one when none is given). */
export class FeedTokenDto {
  @IsOptional()
  @IsString()
  @MinLength(16)
  @MaxLength(200)
  token?: string;
}
