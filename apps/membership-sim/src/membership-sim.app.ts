import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { type Clock, createValidationPipe, ProblemFilter, SystemClock } from '@app/common';
import { MembershipSimModule } from './membership-sim.module';
import type { SimConfig } from './sim-config';
import { openSimDatabase } from './sim-database';
import { GenerationService } from './generation.service';
import { SimSettings } from './sim-settings';
import { loadSimCertificate } from './sim-tls';

export interface RunningSim {
  /** https://<host>:<port> */
  url: string;
  port: number;
  app: NestFastifyApplication;
  /** Lets a running generation finish, then stops serving and closes the database pool. */
  close(): Promise<void>;
}

const BODY_LIMIT_BYTES = 2 * 1024 * 1024;

/** Opens the sim's database, serves it over HTTPS and answers once it listens. */
export async function startMembershipSim(
  config: SimConfig,
  clock: Clock = new SystemClock(),
): Promise<RunningSim> {
  const certificate = await loadSimCertificate(config.tls);
  if (certificate.ephemeral)
    new Logger('MembershipSim').warn('no dev certificate on disk: serving a throwaway self-signed one');
  const pool = await openSimDatabase(config.databaseUrl);
  try {
    const adapter = new FastifyAdapter({
      https: { cert: certificate.cert, key: certificate.key, minVersion: 'TLSv1.2' },
      bodyLimit: BODY_LIMIT_BYTES,
      logger: false,
    });
    const app = await NestFactory.create<NestFastifyApplication>(
      MembershipSimModule.forRoot({ config, pool, certificatePem: certificate.cert, clock }),
      adapter,
      // The deliveries endpoint verifies its signature over the exact bytes received.
      { rawBody: true, logger: ['log', 'warn', 'error'] },
    );
    app.useGlobalPipes(createValidationPipe());
    app.useGlobalFilters(new ProblemFilter());
    await app.listen(config.port, config.host);
    const port = (app.getHttpServer().address() as AddressInfo).port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    return {
      url: `https://${host}:${port}`,
      port,
      app,
      close: async () => {
        await app.get(GenerationService).idle();
        app.get(SimSettings).close();
        await app.close();
        await pool.end();
      },
    };
  } catch (error) {
    await pool.end();
    throw error;
  }
}
