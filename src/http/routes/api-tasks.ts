// Stub: filled in by the follow-through work (issue 6).
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../services/context.ts';

export function registerTaskRoutes(_api: FastifyInstance, _ctx: ServiceContext): void {}
