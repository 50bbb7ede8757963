import { type SQL, sql } from 'drizzle-orm'
import { type Db, one, pgErrorCode, rows, transaction } from '../../db/client'
import { teamMembers, teams } from '../../db/schema/members'
import {
  type Caller,
  coversPath,
  findUnit,
  pathInScope,
  requireMemberVisible,
  requireRole,
  requireUnitInScope,
} from '../../shared/authz'
import { DomainError, notFound } from '../../shared/errors'
import { decodeCursor, pageLimit, toPage } from '../../shared/pagination'
import { formatInstant } from '../../shared/time'
import { recordAudit } from '../audit'
import type { CreateTeamBody, ListTeamsQuery, Team, TeamMember } from './schemas'

/** 志愿服务队 are run by secretaries and grid workers of the unit's subtree. */
export const TEAM_STAFF = ['secretary', 'grid_worker'] as const

interface TeamRow {
  id: string
  orgUnitId: string
  name: string
  description: string | null
  memberCount: number
  createdAt: string
}

// Raw SQL: a correlated member count, and listTeams' scope conditions written against the aliases t and u.
const SELECT_TEAM = sql`
  select t.id, t.org_unit_id as "orgUnitId", t.name, t.description, to_json(t.created_at)#>>'{}' as "createdAt",
    (select count(*)::int from team_members tm where tm.team_id = t.id) as "memberCount", u.path
  from teams t join org_units u on u.id = t.org_unit_id`

const toTeam = (r: TeamRow): Team => ({
  id: r.id,
  orgUnitId: r.orgUnitId,
  name: r.name,
  description: r.description,
  memberCount: r.memberCount,
  createdAt: formatInstant(r.createdAt),
})

async function findTeam(db: Db, id: string) {
  return one<TeamRow & { path: string }>(db, sql`${SELECT_TEAM} where t.id = ${id}`)
}

export async function createTeam(db: Db, caller: Caller, body: CreateTeamBody): Promise<Team> {
  return transaction(db, async (tx) => {
    await requireUnitInScope(tx, caller, body.orgUnitId, TEAM_STAFF)
    const [row] = await tx
      .insert(teams)
      .values({ orgUnitId: body.orgUnitId, name: body.name, description: body.description ?? null })
      .returning({ id: teams.id })
    const team = toTeam((await findTeam(tx, row!.id))!)
    await recordAudit(tx, caller, {
      action: 'team.create',
      targetType: 'team',
      targetId: team.id,
      orgUnitId: body.orgUnitId,
      after: team,
    })
    return team
  })
}

export async function listTeams(db: Db, caller: Caller, query: ListTeamsQuery) {
  requireRole(caller, TEAM_STAFF)
  const limit = pageLimit(query.limit)
  const after = decodeCursor(query.cursor, ['text', 'uuid'])
  const where: SQL[] = [pathInScope(sql`u.path`, caller, TEAM_STAFF)]
  if (query.orgUnitId) {
    const unit = await findUnit(db, query.orgUnitId)
    if (!unit || !coversPath(caller, unit.path, TEAM_STAFF)) throw notFound('org unit')
    where.push(sql`u.path like ${`${unit.path}%`}`)
  }
  if (after) where.push(sql`(t.name, t.id) > (${after[0]}, ${after[1]}::uuid)`)
  const found = await rows<TeamRow>(
    db,
    sql`${SELECT_TEAM} where ${sql.join(where, sql` and `)} order by t.name, t.id limit ${limit + 1}`,
  )
  return toPage(found, limit, (t) => [t.name, t.id], toTeam)
}

/** The team must lie in the caller's scope and the member be visible to them (home or 双报到). */
export async function addTeamMember(
  db: Db,
  caller: Caller,
  teamId: string,
  memberId: string,
): Promise<TeamMember> {
  requireRole(caller, TEAM_STAFF)
  try {
    return await transaction(db, async (tx) => {
      const team = await findTeam(tx, teamId)
      if (!team || !coversPath(caller, team.path, TEAM_STAFF)) throw notFound('team')
      await requireMemberVisible(tx, caller, memberId, TEAM_STAFF, { allowSelf: false })
      // created_at as PostgreSQL writes it in JSON (microseconds, the session's offset), as every read of it.
      const [row] = await tx
        .insert(teamMembers)
        .values({ teamId, memberId })
        .returning({ createdAt: sql<string>`to_json(${teamMembers.createdAt})#>>'{}'` })
      const out = { teamId, memberId, createdAt: formatInstant(row!.createdAt) }
      await recordAudit(tx, caller, {
        action: 'team.add_member',
        targetType: 'team',
        targetId: teamId,
        orgUnitId: team.orgUnitId,
        after: out,
      })
      return out
    })
  } catch (err) {
    if (pgErrorCode(err) === '23505') throw new DomainError('conflict', 'the member is already in the team')
    throw err
  }
}
