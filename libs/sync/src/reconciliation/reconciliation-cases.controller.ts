import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { type Actor, CurrentActor, Scopes } from '@app/common';
import {
  CaseParams,
  CasePageDto,
  ListCasesQuery,
  ResolveCaseDto,
  ResolvedCaseDto,
} from './reconciliation-case.dto';
import { ReconciliationService } from './reconciliation.service';

@ApiTags('admin: reconciliation')
@Controller('admin/reconciliation-cases')
export class ReconciliationCasesController {
  constructor(private readonly cases: ReconciliationService) {}

  @Get()
  @Scopes('admin:reconciliation:read', 'admin:reconciliation:write')
  @ApiOkResponse({ type: CasePageDto })
  list(@Query() query: ListCasesQuery) {
    return this.cases.list(query);
  }

  @Post(':caseId/resolve')
  @HttpCode(200)
  @Scopes('admin:reconciliation:write')
  @ApiOkResponse({ type: ResolvedCaseDto })
  resolve(@Param() { caseId }: CaseParams, @Body() dto: ResolveCaseDto, @CurrentActor() actor: Actor) {
    return this.cases.resolve(actor, caseId, dto);
  }
}
