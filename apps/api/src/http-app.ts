import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ModuleMetadata, RequestMethod, VersioningType } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import helmet, { type FastifyHelmetOptions } from '@fastify/helmet';
import type { FastifyError } from 'fastify';
import { Logger } from 'nestjs-pino';
import {
  AppConfig,
  Clock,
  SERVED_METHODS,
  MethodNotImplemented,
  acceptJsonBodiesOnly,
  answerClientError,
  frameworkRefusal,
  requestIdFor,
} from '@app/common';
import { applyRouteBodyLimits } from '@app/sync';
import { ApiModule } from './api.module';
import { recordRequestMetrics } from './metrics/request-metrics';
import { buildOpenApiDocument } from './openapi-document';
import { mountQueueDashboard } from './queue-dashboard';
import { auditEveryRequest } from './request-audit';

// TLS 1.3 suites plus ECDHE + AEAD suites for TLS 1.2 only: no CBC, RC4, 3DES, static RSA or SHA-1 MACs.
export const TLS_CIPHERS = [
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'TLS_AES_128_GCM_SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
].join(':');

export const HSTS_MAX_AGE_SECONDS = 31536000;

const HELMET_OPTIONS: FastifyHelmetOptions = {
  hsts: { maxAge: HSTS_MAX_AGE_SECONDS, includeSubDomains: true },
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      scriptSrc: ["'self'"],
      frameAncestors: ["'none'"],
    },
  },
};

/**
 * The headers @fastify/helmet sets with these options, read once from its own output on a throwaway
 * instance. The plugin itself rebuilds helmet's middleware (and re-parses the CSP) on every request,
 * whatever its options; these headers never vary per request, so they are computed at boot instead.
 */
export async function helmetHeaders(options: FastifyHelmetOptions): Promise<ReadonlyArray<[string, string]>> {
  const probe = new FastifyAdapter({ logger: false }).getInstance();
  let headers: Array<[string, string]> = [];
  await probe.register(helmet, options);
  probe.get('/', (_request, reply) => {
    // Helmet writes on the raw response; the names keep helmet's spelling, as on the wire today.
    const raw = reply.raw as ServerResponse & { getRawHeaderNames(): string[] };
    headers = raw.getRawHeaderNames().map((name) => [name, String(raw.getHeader(name))]);
    return reply.send();
  });
  await probe.inject({ method: 'GET', url: '/' });
  await probe.close();
  if (headers.length === 0) throw new Error('helmet set no headers');
  return headers;
}

// A request the router refused (path segment too long, malformed escape) is routed again to this
// path, which no route serves, carrying its refusal: it then runs the usual hooks (security headers,
// request id, audit, log) and ends in our problem instead of Fastify's body that echoes the path.
const REFUSED_PATH = '/.refused';
const REFUSAL = Symbol('framework refusal');

type RawRequest = IncomingMessage & {
  [REFUSAL]?: Error;
  /** The matched route template, for the request log (pino-http sees only the raw request). */
  routeTemplate?: string;
};

/** Builds the HTTPS API application (not yet listening), as production, the launcher and tests use it. */
export async function createApiApplication(
  config: AppConfig,
  options: { imports?: ModuleMetadata['imports']; clock?: Clock } = {},
): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    ApiModule.forRoot(config, options),
    createApiAdapter(config),
    {
      bufferLogs: true,
      bodyParser: false,
      abortOnError: false,
    },
  );
  await configureApiApplication(app, config);
  return app;
}

/** The Fastify adapter: TLS settings, trusted proxies, body limit, request ids, JSON-only bodies. */
export function createApiAdapter(config: AppConfig): FastifyAdapter {
  const adapter = new FastifyAdapter({
    https: {
      key: readFileSync(config.tls.keyFile),
      cert: readFileSync(config.tls.certFile),
      minVersion: 'TLSv1.2',
      ciphers: TLS_CIPHERS,
      honorCipherOrder: true,
      // mTLS is optional per partner: ask for a certificate, let the token layer decide what it means.
      ...(config.auth.clientCaFile
        ? { requestCert: true, rejectUnauthorized: false, ca: readFileSync(config.auth.clientCaFile) }
        : {}),
    },
    trustProxy: config.http.trustProxy,
    bodyLimit: config.http.bodyLimitBytes,
    genReqId: (req: IncomingMessage) => {
      const raw = req as { id?: string };
      // A refused request routed again keeps the id it was given the first time.
      const id = raw.id ?? requestIdFor(req);
      // pino-http reads the raw request's id, so logs and problem bodies carry the same one.
      raw.id = id;
      return id;
    },
    logger: false,
    return503OnClosing: true,
    frameworkErrors: (error: FastifyError, request: { raw: unknown }, reply: { raw: unknown }) => {
      const raw = request.raw as RawRequest;
      raw[REFUSAL] = frameworkRefusal(error.code);
      raw.url = REFUSED_PATH;
      adapter.getInstance().routing(raw, reply.raw as ServerResponse);
    },
    // Oversized headers, timeouts, bytes the HTTP parser refuses: answered on the socket, our way.
    clientErrorHandler: (error, socket) => answerClientError(error, socket, HSTS_MAX_AGE_SECONDS),
  });
  acceptJsonBodiesOnly(adapter.getInstance(), { formRoutes: ['/oauth/token', '/oauth/revoke'] });
  // Routes with a body limit of their own (the sync batch); all others keep bodyLimitBytes.
  applyRouteBodyLimits(adapter.getInstance(), { syncBatch: config.http.syncBatchBodyLimitBytes });
  adapter.getInstance().addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id).header('cache-control', 'no-store');
    (request.raw as RawRequest).routeTemplate = request.routeOptions.url;
    done();
  });
  return adapter;
}

/**
 * After helmet, so the refusal is answered with its headers: a request the router refused, or one
 * whose method no route serves (UNSUBSCRIBE, PROPPATCH, TRACE...), ends as our problem (and audited).
 */
function refuseWhatTheFrameworkRefused(app: NestFastifyApplication): void {
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (request, _reply, done) => {
      const refusal = (request.raw as RawRequest)[REFUSAL];
      if (refusal) return done(refusal);
      if (!SERVED_METHODS.has(request.method)) return done(new MethodNotImplemented());
      done();
    });
}

/**
 * Everything after the Nest application exists: logger, per-request audit, helmet/HSTS, CORS,
 * prefixes and versioning, OpenAPI, the queue dashboard. Separate so a benchmark harness can build
 * the same application from a testing module (the service itself has no switch to turn parts off).
 */
export async function configureApiApplication(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  app.useLogger(app.get(Logger));
  app.flushLogs();
  auditEveryRequest(app);
  recordRequestMetrics(app);

  const securityHeaders = await helmetHeaders(HELMET_OPTIONS);
  // Where helmet's hook ran, on the raw response as helmet sets them, so every answer (errors,
  // refusals, Swagger, the queue dashboard) carries exactly the same set.
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (_request, reply, done) => {
      for (const [name, value] of securityHeaders) reply.raw.setHeader(name, value);
      done();
    });
  refuseWhatTheFrameworkRefused(app);
  // Closed unless an allow-list is configured; only exact listed origins are ever echoed.
  if (config.http.corsOrigins.length > 0) {
    app.enableCors({ origin: config.http.corsOrigins, credentials: false, maxAge: 600 });
  }

  app.setGlobalPrefix('api', {
    // Ops and OAuth endpoints live at the root, where probes and OAuth clients expect them.
    exclude: [
      { path: 'health/live', method: RequestMethod.GET },
      { path: 'health/ready', method: RequestMethod.GET },
      { path: 'metrics', method: RequestMethod.GET },
      { path: 'oauth/token', method: RequestMethod.POST },
      { path: 'oauth/revoke', method: RequestMethod.POST },
      { path: '.well-known/jwks.json', method: RequestMethod.GET },
      { path: '.well-known/oauth-authorization-server', method: RequestMethod.GET },
    ],
  });
  app.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' });

  const document = buildOpenApiDocument(app, config);
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/openapi.json', raw: ['json'] });
  await mountQueueDashboard(app);
}
