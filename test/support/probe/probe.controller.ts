import { Body, Controller, Get, HttpCode, Module, Post } from '@nestjs/common';
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
