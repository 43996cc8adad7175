// The worker's entry surface for other apps (the launcher runs it in-process); everything else is internal.
export { createWorkerApplication } from './worker-app';
