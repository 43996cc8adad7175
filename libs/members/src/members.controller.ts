import { Controller, Get, Param } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { type Actor, CurrentActor, Scopes } from '@app/common';
import { MembersService } from './members.service';

export class MemberIdParam {
  @Matches(/^mbr_[0-9A-HJKMNP-TV-Z]{26}$/)
  memberId: string;
}

@ApiTags('members')
@Controller('members')
export class MembersController {
  constructor(private readonly members: MembersService) {}

  @Get(':memberId')
  @Scopes('members:read', 'members.eligibility:read')
  get(@Param() { memberId }: MemberIdParam, @CurrentActor() actor: Actor) {
    return this.members.get(actor, memberId);
  }
}
