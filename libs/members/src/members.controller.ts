import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Param,
  Post,
  Put,
  Query,
  Res,
} from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { IsDateString, IsOptional, Matches, MaxLength } from 'class-validator';
import type { FastifyReply } from 'fastify';
import { type Actor, CurrentActor, PageQuery, Scopes, SignedWebhook } from '@app/common';
import { CREATE_MEMBER_SCHEMA, MEMBER_DOCUMENT_SCHEMA, PREFERENCES_SCHEMA } from './catalog/member-schema';
import { MemberIdPipe } from './member-id.pipe';
import { MemberReader } from './member.reader';
import { MembersService } from './members.service';

export class ListMembersQuery extends PageQuery {
  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsDateString({ strict: true })
  @MaxLength(40)
  updatedSince?: string;

  @ApiPropertyOptional({ pattern: '^org_[0-9A-Z]{26}$' })
  @IsOptional()
  @Matches(/^org_[0-9A-HJKMNP-TV-Z]{26}$/)
  organizationId?: string;
}

class CreatedMember {
  @ApiProperty()
  id: string;

  @ApiProperty()
  version: number;
}

@ApiTags('members')
@Controller('members')
export class MembersController {
  constructor(
    private readonly reader: MemberReader,
    private readonly members: MembersService,
  ) {}

  @Get()
  @Scopes('members:read', 'members.eligibility:read')
  @ApiOkResponse({
    schema: {
      type: 'object',
      properties: {
        data: { type: 'array', items: MEMBER_DOCUMENT_SCHEMA },
        nextCursor: { type: 'string', nullable: true },
      },
    },
  })
  list(@Query() query: ListMembersQuery, @CurrentActor() actor: Actor) {
    return this.reader.list(actor, query);
  }

  @Get(':memberId')
  @Scopes('members:read', 'members.eligibility:read')
  @ApiOkResponse({ schema: MEMBER_DOCUMENT_SCHEMA })
  async get(
    @Param('memberId', MemberIdPipe) memberId: string,
    @CurrentActor() actor: Actor,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { document, etag } = await this.reader.get(actor, memberId);
    void reply.header('etag', etag);
    return document;
  }

  @Post()
  @HttpCode(201)
  @Scopes('sync:write')
  @SignedWebhook()
  @ApiBody({ schema: CREATE_MEMBER_SCHEMA })
  @ApiCreatedResponse({ type: CreatedMember })
  create(@Body() body: unknown, @CurrentActor() actor: Actor) {
    return this.members.create(actor, body);
  }

  @Put(':memberId/preferences')
  @Scopes('members.preferences:write')
  @ApiHeader({ name: 'If-Match', required: true, description: 'ETag of the version being changed' })
  @ApiBody({ schema: PREFERENCES_SCHEMA })
  async replacePreferences(
    @Param('memberId', MemberIdPipe) memberId: string,
    @Headers('if-match') ifMatch: string | undefined,
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const result = await this.members.replacePreferences(actor, memberId, ifMatch, body);
    void reply.header('etag', result.etag);
    return { version: result.version };
  }

  @Delete(':memberId')
  @HttpCode(204)
  @Scopes('members:write')
  async delete(@Param('memberId', MemberIdPipe) memberId: string, @CurrentActor() actor: Actor) {
    await this.members.delete(actor, memberId);
  }
}
