/** The org module's public surface: the unit tree and the settings each unit inherits. */
export { DEFAULT_REDEMPTION_THRESHOLD_CENTS } from './domain'
export { orgExamples } from './examples'
export {
  DEFAULT_VOLUNTEER_STARS,
  type Grade,
  type GradeStanding,
  gradeFor,
  type VolunteerStar,
  volunteerStarFor,
} from './grades'
export { effectiveThresholdAt, volunteerStarsAt } from './repo'
export { orgRoutes } from './routes'
export { type EffectiveSettings, effectiveSettings, effectiveSettingsOf } from './service'
