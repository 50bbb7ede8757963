/**
 * The identity module's public surface: users, logins, tokens and role grants. The authorisation kernel that
 * every module decides by (Caller, grants, scope predicates) is not identity's: it lives in `shared/authz.ts`.
 */
export { bootstrapAdmin, ensureRoot } from './bootstrap'
export { identityExamples } from './examples'
export { insertResidentLogin, issueTokens } from './logins'
export { hashPassword } from './passwords'
export { identityRoutes } from './routes'
export { NewPassword, NewUsername, TokenPair } from './schemas'
