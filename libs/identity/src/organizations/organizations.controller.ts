import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { type Actor, CurrentActor, PageQuery, Scopes } from '@app/common';
import { OrganizationsService } from './organizations.service';

export class CreateOrganizationDto {
  @ApiProperty({ maxLength: 200 })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name: string;
}

export class OrganizationIdParam {
  @Matches(/^org_[0-9A-HJKMNP-TV-Z]{26}$/)
  organizationId: string;
}

// Reading the organization list needs admin:partners:read: organizations are what partners are
// granted, and every role that sees partners must see what they may reach.
@ApiTags('admin: organizations')
@Controller('admin/organizations')
export class OrganizationsController {
  constructor(private readonly organizations: OrganizationsService) {}

  @Post()
  @HttpCode(201)
  @Scopes('admin:organizations:write')
  create(@Body() dto: CreateOrganizationDto, @CurrentActor() actor: Actor) {
    return this.organizations.create(dto.name, actor);
  }

  @Get()
  @Scopes('admin:partners:read')
  list(@Query() query: PageQuery) {
    return this.organizations.list(query);
  }

  @Get(':organizationId')
  @Scopes('admin:partners:read')
  get(@Param() { organizationId }: OrganizationIdParam) {
    return this.organizations.get(organizationId);
  }
}
