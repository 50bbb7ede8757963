import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

export const identityRoutes: FastifyPluginAsyncTypebox = async (_app) => {}
