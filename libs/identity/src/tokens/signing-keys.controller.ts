import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { type Actor, CurrentActor, Scopes } from '@app/common';
import { SigningKeysService } from './signing-keys.service';

@ApiTags('admin: keys')
@Controller('admin/signing-keys')
export class SigningKeysController {
  constructor(private readonly signingKeys: SigningKeysService) {}

  @Post('rotate')
  @HttpCode(201)
  @Scopes('admin:keys:rotate')
  @ApiOperation({
    summary: 'Activate a new token-signing key; the old one stays in the JWKS until its tokens expire',
  })
  rotate(@CurrentActor() actor: Actor) {
    return this.signingKeys.rotate(actor);
  }
}
