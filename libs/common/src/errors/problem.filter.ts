import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { classifyError } from './classify-error';
import { buildProblem, PROBLEM_CONTENT_TYPE } from './problem';

/** The one place where any error becomes an RFC 9457 problem+json response. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemFilter');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const classified = classifyError(error);
    const problem = buildProblem(classified.type, request.id, classified.detail, classified.extensions);

    if (classified.unexpected) {
      // The log line passes through the redaction layer; the client only gets the request id.
      this.logger.error({ err: error, requestId: request.id }, 'unhandled error');
    }
    if (reply.sent) return;
    void reply
      .code(problem.status)
      .headers({
        ...(classified.headers ?? {}),
        'content-type': PROBLEM_CONTENT_TYPE,
        'cache-control': 'no-store',
      })
      .send(JSON.stringify(problem));
  }
}
