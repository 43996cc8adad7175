import { Logger } from '@nestjs/common';
import { ConfigError, onShutdownSignal, readEnvironment } from '@app/common';
import { startMembershipSim } from './membership-sim.app';
import { loadSimConfig } from './sim-config';

// `npm run sim`: the membership-system stand-in on https://localhost:8444 (SIM_PORT).
async function main(): Promise<void> {
  let config;
  try {
    config = loadSimConfig(readEnvironment());
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  const sim = await startMembershipSim(config);
  new Logger('MembershipSim').log(`membership-sim listening on ${sim.url}`);
  onShutdownSignal(10_000, () => sim.close());
}

main().catch((error: unknown) => {
  process.stderr.write(`membership-sim failed to start: ${(error as Error).message}\n`);
  process.exit(1);
});
