import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Database, Db } from '../db/client'

declare module 'fastify' {
  interface FastifyInstance {
    db: Db
    database: Database
    /**
     * Where the report and list operations that tolerate a little lag read: the pool of DATABASE_READ_URL (a
     * replica, read-only sessions) when it is set, else the primary (`db` itself). Only the operations of
     * READ_POOL_OPERATIONS use it; everything that decides, writes, authenticates or shows a member their own
     * balance reads `db` (docs/scaling.md says why).
     */
    readDb: Db
    readDatabase: Database | undefined
  }
}

/**
 * The operations that read `app.readDb`, by operationId: reports, exports and lists of history that staff read
 * and nobody acts on within the second a replica may lag. test/foundation/read-pool.test.ts runs each against
 * a second pool and checks that it, and only it, is what they read; docs/scaling.md explains the choice.
 */
export const READ_POOL_OPERATIONS: readonly string[] = [
  // reports (all from the rollups): the year's ranking and a branch's standings, with their files
  'getRanking',
  'exportRankingCsv',
  'getRankingPdf',
  'getStandings',
  'exportStandingsCsv',
  'getStandingsPdf',
  'getMyStanding',
  'getSummary',
  'exportSummaryCsv',
  'getHoursPointsByTeam',
  'exportHoursPointsByTeamCsv',
  'getHoursPointsByActivity',
  'exportHoursPointsByActivityCsv',
  'getMonthlyTotals',
  'exportMonthlyTotalsCsv',
  'getRedemptionsByReward',
  'exportRedemptionsByRewardCsv',
  'listInactiveMembers',
  'exportInactiveMembersCsv',
  'getDualRegistrationReport',
  'exportDualRegistrationReportCsv',
  'getDualRegistrationReportPdf',
  // exports and lists of history
  'exportMembersCsv',
  'exportAppraisalsCsv',
  'listAuditEvents',
  'listStockMovements',
]

/** Decorates the app with the databases opened by buildApp's caller; closing them is the caller's job. */
export const dbPlugin = fp(
  async (app: FastifyInstance, opts: { database: Database; readDatabase?: Database }) => {
    app.decorate('database', opts.database)
    app.decorate('db', opts.database.db)
    app.decorate('readDatabase', opts.readDatabase)
    app.decorate('readDb', (opts.readDatabase ?? opts.database).db)
  },
  { name: 'db' },
)
