// The API's entry surface for other apps (the launcher runs it in-process); everything else is internal.
export { createApiApplication } from './http-app';
