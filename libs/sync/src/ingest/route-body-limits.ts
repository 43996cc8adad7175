import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';

/** The body limits routes may ask for by name; the sizes come from the configuration at boot. */
export type RouteBodyLimitName = 'syncBatch';

/**
 * Gives one route a body limit of its own (Fastify's route-level `bodyLimit`): the decorator names
 * the limit, `applyRouteBodyLimits` sizes it. Every route without it keeps the global limit.
 */
export const RouteBodyLimit = (name: RouteBodyLimitName) => RouteConfig({ bodyLimit: name });

/**
 * Sets each named route's `bodyLimit` as Fastify registers it. Call before the application
 * initialises (routes are registered then); an unknown name fails the boot, never silently keeps 1 MB.
 */
export function applyRouteBodyLimits(
  fastify: FastifyInstance,
  limits: Record<RouteBodyLimitName, number>,
): void {
  fastify.addHook('onRoute', (route) => {
    const config: unknown = route.config;
    const name =
      typeof config === 'object' && config !== null
        ? (config as { bodyLimit?: unknown }).bodyLimit
        : undefined;
    if (name === undefined) return;
    const limit = limits[name as RouteBodyLimitName];
    if (!Number.isInteger(limit) || limit <= 0)
      throw new Error(`route ${route.url} asks for an unknown body limit`);
    route.bodyLimit = limit;
  });
}
