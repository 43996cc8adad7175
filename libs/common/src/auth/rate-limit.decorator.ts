import { SetMetadata } from '@nestjs/common';

export const AUTH_RATE_LIMIT_KEY = 'rate-limit:auth';

/** The route authenticates credentials (token endpoint, admin login): the stricter per-IP limit applies. */
export const AuthRateLimited = () => SetMetadata(AUTH_RATE_LIMIT_KEY, true);
