// Domain error codes → HTTP status codes, and one error shape for every response.
import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError, type ErrorCode } from '../services/errors.ts';

const STATUS: Record<ErrorCode, number> = {
  validation_failed: 400,
  malformed_webhook: 400,
  unauthorized: 401,
  forbidden: 403,
  bad_signature: 403,
  not_found: 404,
  conflict: 409,
  unprocessable: 422,
};

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | AppError | Error, request, reply) => {
    if (error instanceof AppError) {
      return reply.status(STATUS[error.code]).send({
        error: { code: error.code, message: error.message, ...(error.fields ? { fields: error.fields } : {}) },
      });
    }
    const fe = error as FastifyError;
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
      // Fastify's own rejections: unparseable JSON, unsupported content type, body too large.
      const code = fe.statusCode === 415 ? 'unsupported_media_type' : fe.statusCode === 413 ? 'payload_too_large' : 'bad_request';
      return reply.status(fe.statusCode).send({ error: { code, message: fe.message } });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.status(500).send({ error: { code: 'internal', message: 'something went wrong on our side; it has been logged' } });
  });
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({ error: { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` } });
  });
}
