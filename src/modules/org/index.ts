/** The org module's public surface: the unit tree and the settings each unit inherits. */
export { DEFAULT_REDEMPTION_THRESHOLD_CENTS } from './domain'
export { orgExamples } from './examples'
export { effectiveThresholdAt } from './repo'
export { orgRoutes } from './routes'
export { effectiveSettings } from './service'
