import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { MembershipSimModule } from './membership-sim.module';

async function main(): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(MembershipSimModule, new FastifyAdapter());
  app.enableShutdownHooks();
  await app.listen(Number(process.argv[2] ?? 8787), '127.0.0.1');
}
void main();
