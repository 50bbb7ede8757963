import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

export const scoringRoutes: FastifyPluginAsyncTypebox = async (_app) => {}
