/** The rubrics module's public surface: the 20-item rubric, its versions and the item ceilings. */
export { rubricsExamples } from './examples'
export { rubricsRoutes } from './routes'
export {
  activateRubric,
  applicableRubricId,
  claimCeiling,
  createRubric,
  type RubricItem,
  rubricWithItems,
} from './service'
