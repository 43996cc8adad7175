import { PROBLEM_TYPES, ProblemType, problemTypeUri } from './problem-types';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance: string;
  requestId: string;
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

export function buildProblem(
  type: ProblemType,
  requestId: string,
  detail?: string,
  extensions: Record<string, unknown> = {},
): ProblemBody {
  const { status, title } = PROBLEM_TYPES[type];
  return {
    ...extensions,
    type: problemTypeUri(type),
    title,
    status,
    ...(detail ? { detail } : {}),
    instance: `urn:uuid:${requestId}`,
    requestId,
  };
}
