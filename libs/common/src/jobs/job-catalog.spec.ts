import { handlerProblems, JOBS, jobsOf, QUEUE_NAMES } from './job-catalog';

describe('job catalog', () => {
  const all = Object.keys(JOBS);

  it('finds nothing wrong when each job has exactly one handler', () => {
    expect(handlerProblems(all)).toEqual({ missing: [], duplicated: [], unknown: [] });
  });

  it('names a job without a handler, one with two, and a handler for no job', () => {
    expect(handlerProblems([]).missing).toEqual(all);
    expect(handlerProblems([...all, all[0]]).duplicated).toEqual([all[0]]);
    expect(handlerProblems([...all, 'nobody.asked']).unknown).toEqual(['nobody.asked']);
  });

  it('puts every job on a known queue', () => {
    expect(QUEUE_NAMES.flatMap(jobsOf).sort()).toEqual([...all].sort());
  });
});
