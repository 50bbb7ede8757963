import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

export const ledgerRoutes: FastifyPluginAsyncTypebox = async (_app) => {}
