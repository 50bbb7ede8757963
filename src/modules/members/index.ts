/** The members module's public surface: member records, teams and 双报到 registrations. */
export { membersExamples } from './examples'
export { IDENTITY_TYPES, IdentityDocument, identityDocumentOf } from './identity'
export { membersRoutes } from './routes'
export { findMemberSummary } from './service'
