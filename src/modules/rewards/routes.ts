import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

export const rewardsRoutes: FastifyPluginAsyncTypebox = async (_app) => {}
