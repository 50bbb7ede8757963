/** The rewards module's public surface: the catalogue, stock and redemptions at the community office. */
export { rewardsExamples } from './examples'
export { createRedemption, fulfilRedemption } from './redemptions'
export { rewardsRoutes } from './routes'
export { createReward, receiveStock } from './service'
export { startRedemptionSweep } from './sweep'
