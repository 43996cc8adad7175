import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { type Actor, CurrentActor, PageQuery, Scopes } from '@app/common';
import {
  AssessmentDto,
  ContainDto,
  CreateIncidentDto,
  IncidentParams,
  NotificationDto,
} from './incident.dto';
import { IncidentsService } from './incidents.service';

@ApiTags('admin: incidents')
@Controller('admin/incidents')
export class IncidentsController {
  constructor(private readonly incidents: IncidentsService) {}

  @Post()
  @HttpCode(201)
  @Scopes('admin:incidents:write')
  create(@Body() dto: CreateIncidentDto, @CurrentActor() actor: Actor) {
    return this.incidents.create(dto, actor);
  }

  @Get()
  @Scopes('admin:incidents:read')
  list(@Query() page: PageQuery) {
    return this.incidents.list(page);
  }

  @Get(':incidentId')
  @Scopes('admin:incidents:read')
  get(@Param() { incidentId }: IncidentParams) {
    return this.incidents.get(incidentId);
  }

  @Get(':incidentId/members')
  @Scopes('admin:incidents:read')
  members(@Param() { incidentId }: IncidentParams, @Query() page: PageQuery) {
    return this.incidents.members(incidentId, page);
  }

  @Put(':incidentId/assessment')
  @Scopes('admin:incidents:write')
  assess(@Param() { incidentId }: IncidentParams, @Body() dto: AssessmentDto, @CurrentActor() actor: Actor) {
    return this.incidents.assess(incidentId, dto, actor);
  }

  @Put(':incidentId/notification')
  @Scopes('admin:incidents:write')
  notification(
    @Param() { incidentId }: IncidentParams,
    @Body() dto: NotificationDto,
    @CurrentActor() actor: Actor,
  ) {
    return this.incidents.recordNotification(incidentId, dto, actor);
  }

  /** Individual notices: they carry members' names and addresses, so only the officers who send them. */
  @Get(':incidentId/letters')
  @Scopes('admin:incidents:write')
  letters(@Param() { incidentId }: IncidentParams, @Query() page: PageQuery, @CurrentActor() actor: Actor) {
    return this.incidents.letters(incidentId, page, actor);
  }

  @Get(':incidentId/hhs-report')
  @Scopes('admin:incidents:read')
  hhsReport(@Param() { incidentId }: IncidentParams) {
    return this.incidents.hhsReport(incidentId);
  }

  @Post(':incidentId/contain')
  @HttpCode(200)
  @Scopes('admin:incidents:contain')
  contain(@Param() { incidentId }: IncidentParams, @Body() dto: ContainDto, @CurrentActor() actor: Actor) {
    return this.incidents.contain(incidentId, dto.reason ?? `containment of incident ${incidentId}`, actor);
  }
}
