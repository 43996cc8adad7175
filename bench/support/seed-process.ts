// A second seeding process for large populations: forked by seedMembersInParallel with the bench
// stack's environment, it boots the API's application (not listening) and seeds one range of members
// into the same organization with MemberSeeder, reporting progress over IPC.
import { loadAppConfig } from '@app/common';
import { MemberSeeder } from '@app/members';
import { createApiApplication } from '../../apps/api/src/http-app';
import { seedActor } from './population';

export interface SeedRange {
  organizationId: string;
  from: number;
  to: number;
  seed: number;
  system: string;
  batchSize: number;
}

export type SeedMessage = { progress: number } | { done: number } | { error: string };

const send = (message: SeedMessage) => process.send?.(message);

process.once('message', (range: SeedRange) => {
  void (async () => {
    const app = await createApiApplication(loadAppConfig({}, process.env));
    try {
      await app.init();
      const result = await app.get(MemberSeeder).seed({
        actor: seedActor(range.system),
        members: range.to - range.from,
        seed: range.seed,
        organizationId: range.organizationId,
        firstIndex: range.from,
        batchSize: range.batchSize,
        onProgress: (seeded) => send({ progress: seeded }),
      });
      send({ done: result.members });
    } finally {
      await app.close();
    }
  })().then(
    () => process.exit(0),
    (error: unknown) => {
      send({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      process.exit(1);
    },
  );
});
process.on('disconnect', () => process.exit(1));
