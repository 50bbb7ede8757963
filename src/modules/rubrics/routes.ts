import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

export const rubricsRoutes: FastifyPluginAsyncTypebox = async (_app) => {}
