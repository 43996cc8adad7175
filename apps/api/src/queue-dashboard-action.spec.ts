import { appRoutes } from '@bull-board/api/dist/routes.js';
import { QUEUE_DASHBOARD_READ_METHODS, queueDashboardAction } from './queue-dashboard-action';

const QUEUES = ['alerts', 'audit', 'keys'];

describe('queueDashboardAction', () => {
  it.each([
    ['PUT', '/queues/:queueName/pause', 'alerts', 'queues.pause', ['alerts']],
    ['PUT', '/queues/pause', undefined, 'queues.pause', ['alerts', 'audit', 'keys']],
    ['PUT', '/queues/:queueName/empty', 'alerts', 'queues.empty', ['alerts']],
    ['PUT', '/queues/:queueName/clean/:queueStatus', 'audit', 'queues.clean', ['audit']],
    ['PUT', '/queues/:queueName/retry/:queueStatus', 'keys', 'queues.retry', ['keys']],
    ['PUT', '/queues/:queueName/:jobId/retry', 'keys', 'queues.job.retry', ['keys']],
    ['POST', '/queues/:queueName/add', 'alerts', 'queues.add', ['alerts']],
    [
      'PUT',
      '/queues/:queueName/job-schedulers/:schedulerId/remove',
      'audit',
      'queues.job_schedulers.remove',
      ['audit'],
    ],
    [
      'PATCH',
      '/queues/:queueName/job-schedulers/:schedulerId',
      'audit',
      'queues.job_schedulers.update',
      ['audit'],
    ],
    ['PATCH', '/queues/:queueName/:jobId/update-data', 'audit', 'queues.job.update_data', ['audit']],
    ['PUT', '/queues/:queueName/rate-limit/release', 'alerts', 'queues.rate_limit.release', ['alerts']],
    ['POST', '/metrics/history/purge', undefined, 'queues.metrics.history.purge', null],
  ])('names %s %s as its verb', (method, route, queue, action, queues) => {
    expect(queueDashboardAction(method, route, queue, QUEUES)).toEqual({ action, queues });
  });

  it('records no queue name the caller made up', () => {
    expect(queueDashboardAction('PUT', '/queues/:queueName/pause', '<script>', QUEUES)).toEqual({
      action: 'queues.pause',
      queues: null,
    });
  });

  it('names an unmatched request without copying its path', () => {
    expect(queueDashboardAction('DELETE', undefined, undefined, QUEUES)).toEqual({
      action: 'queues.unmatched',
      queues: null,
    });
  });

  it('gives every mutation route of the installed bull-board a distinct audit name', () => {
    const mutations = appRoutes.api
      .flatMap((r) =>
        (Array.isArray(r.route) ? r.route : [r.route]).map((route) => ({ method: r.method, route })),
      )
      .filter(({ method }) => !QUEUE_DASHBOARD_READ_METHODS.includes(String(method).toUpperCase()));
    expect(mutations.length).toBeGreaterThan(15);
    const named = mutations.map(({ method, route }) =>
      queueDashboardAction(String(method), route.replace(/^\/api/, ''), 'alerts', QUEUES),
    );
    for (const { action } of named) expect(action).toMatch(/^queues\.[a-z0-9_.]+$/);
    // Pausing one queue and pausing all share a verb; the queues recorded tell them apart.
    const names = named.map(({ action, queues }) => `${action} ${queues?.join(',')}`);
    expect(new Set(names).size).toBe(names.length);
  });
});
