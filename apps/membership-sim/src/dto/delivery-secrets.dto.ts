import { ArrayMaxSize, IsArray, Matches } from 'class-validator';

/** `PUT /sim/deliveries/secrets`: the secrets our API signs its deliveries with (several during rotation). */
export class DeliverySecretsDto {
  @IsArray()
  @ArrayMaxSize(5)
  @Matches(/^whsec_[A-Za-z0-9+/=]{16,200}$/, { each: true })
  secrets: string[];
}
