import { Body, Controller, Get, HttpCode, Module, Post } from '@nestjs/common';
import { type Actor, CurrentActor, Public, Scopes } from '@app/common';
import { IsEmail, IsInt, IsString, Max, MaxLength, Min } from 'class-validator';

export class ProbeBody {
  @IsString()
  @MaxLength(50)
  name: string;

  @IsEmail()
  @MaxLength(254)
  email: string;

  @IsInt()
  @Min(0)
  @Max(10)
  count: number;
}

/** Routes mounted only by e2e suites, to drive the HTTP pipeline (parsing, validation, errors). */
@Public()
@Controller('probe')
export class ProbeController {
  @Post()
  @HttpCode(200)
  echo(@Body() body: ProbeBody) {
    return { ok: true, count: body.count };
  }

  @Get('crash')
  crash(): never {
    throw new Error('relation "member" violates constraint: insert into member (ssn) values (900-12-3456)');
  }
}

@Module({ controllers: [ProbeController] })
export class ProbeModule {}

/** A sync:write route for exercising API-key authentication before the sync endpoints exist. */
@Controller('probe-sync')
export class ProbeSyncController {
  @Post()
  @HttpCode(200)
  @Scopes('sync:write')
  write(@CurrentActor() actor: Actor) {
    return {
      kind: actor.principal?.kind,
      partnerId: actor.principal?.kind === 'admin' ? null : actor.principal?.partnerId,
    };
  }
}

@Module({ controllers: [ProbeSyncController] })
export class ProbeSyncModule {}
