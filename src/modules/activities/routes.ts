import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

export const activitiesRoutes: FastifyPluginAsyncTypebox = async (_app) => {}
