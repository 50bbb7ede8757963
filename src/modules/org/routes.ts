import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

export const orgRoutes: FastifyPluginAsyncTypebox = async (_app) => {}
