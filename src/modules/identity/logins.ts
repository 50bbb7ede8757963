import { type Db, pgConstraint, pgErrorCode, transaction } from '../../db/client'
import { ACCESS_TOKEN_SECONDS } from '../../plugins/auth'
import { DomainError } from '../../shared/errors'
import * as repo from './repo'
import type { TokenPair } from './schemas'
import { issueRefreshToken } from './tokens'

/**
 * The login of a resident (群众, issue 18), made by the residents module in its own transaction: a user that
 * belongs to the resident (users.resident_id) with role resident on their community, the only way that role is
 * given (grantRole refuses it). A taken username is 409 conflict (the transaction is then rolled back).
 */
export async function insertResidentLogin(
  tx: Db,
  login: {
    username: string
    passwordHash: string
    residentId: string
    communityId: string
    createdBy: string | null
  },
): Promise<{ userId: string; grantId: string }> {
  try {
    const user = await repo.insertUser(tx, {
      username: login.username,
      passwordHash: login.passwordHash,
      memberId: null,
      residentId: login.residentId,
      createdBy: login.createdBy,
    })
    const grant = await repo.insertGrant(tx, user.id, 'resident', login.communityId, login.createdBy)
    return { userId: user.id, grantId: grant.id }
  } catch (err) {
    if (pgErrorCode(err) === '23505' && pgConstraint(err)?.includes('username')) {
      throw new DomainError('conflict', 'that username is taken')
    }
    throw err
  }
}

/** Tokens for a user who has just proved who they are another way (a resident registering): as login answers. */
export async function issueTokens(
  db: Db,
  sign: (userId: string) => string,
  userId: string,
): Promise<TokenPair> {
  const refreshToken = await transaction(db, (tx) => issueRefreshToken(tx, userId))
  return { accessToken: sign(userId), refreshToken, tokenType: 'Bearer', expiresIn: ACCESS_TOKEN_SECONDS }
}
