// The sim's entry surface for tests, the demo and benchmarks (libs never import it).
export { startMembershipSim, type RunningSim } from './membership-sim.app';
export { loadSimConfig, type SimConfig, type SimTarget } from './sim-config';
export type { GenerationRun } from './generation.service';
export type { FeedPage } from './change-feed';
export type { SimMemberView } from './sim-members';
