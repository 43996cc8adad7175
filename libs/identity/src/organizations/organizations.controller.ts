import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { type Actor, CurrentActor, Scopes } from '@app/common';
import { OrganizationsService } from './organizations.service';

export class CreateOrganizationDto {
  @ApiProperty({ maxLength: 200 })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name: string;
}

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
}
