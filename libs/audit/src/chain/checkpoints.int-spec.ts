import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EntityManager } from '@mikro-orm/postgresql';
import { startTestServices, type TestServices } from '../../../../test/support/test-services';
import { Alert } from '../alert.entity';
import { AuditModule } from '../audit.module';
import { AuditService } from '../audit.service';
import { AuditVerifierService } from './audit-verifier.service';
import { CheckpointsService } from './checkpoints.service';

describe('audit checkpoints: signed fresh from the real head, never copied from the table', () => {
  let services: TestServices;
  let checkpoints: CheckpointsService;
  let em: EntityManager;

  beforeEach(async () => {
    services = await startTestServices({ imports: [AuditModule] });
    checkpoints = services.get(CheckpointsService);
    em = services.get(EntityManager);
  });
  afterEach(() => services.close());

  async function writeEvents(count: number): Promise<void> {
    const audit = services.get(AuditService);
    await Promise.all(
      Array.from({ length: count }, () =>
        audit.recordStandalone({
          actorType: 'system',
          action: 'test.event',
          outcome: 'success',
          requestId: randomUUID(),
        }),
      ),
    );
  }

  async function head(): Promise<{ seq: number; hash: string }> {
    const [row] = await em
      .fork()
      .execute<Array<{ seq: string; hash: Buffer }>>('select seq, hash from audit_chain_head where id = 1');
    return { seq: Number(row.seq), hash: row.hash.toString('hex') };
  }

  /** What anyone with the application role's database access can do: insert a checkpoint row. */
  async function plant(row: { seq: number; hash: string; time: string; keyId: string; signature: string }) {
    await em
      .fork()
      .execute(
        'insert into audit_checkpoint (seq, hash, created_at, key_id, signature) values (?, ?, ?, ?, ?)',
        [row.seq, Buffer.from(row.hash, 'hex'), new Date(row.time), row.keyId, row.signature],
      );
  }

  const alertsAbout = async (seq: number) =>
    (await em.fork().find(Alert, { type: 'audit_checkpoint_invalid' })).filter(
      (a) => a.subject === `checkpoint:${seq}`,
    );

  const externalAt = (seq: number) => checkpoints.external().find((c) => c.seq === seq);

  it('writes a fresh signature over the real head when a forged row sits at its sequence, and raises an alert', async () => {
    await writeEvents(5);
    const real = await head();
    await plant({
      seq: real.seq,
      hash: randomBytes(32).toString('hex'),
      time: new Date().toISOString(),
      keyId: checkpoints.signer.keyId,
      signature: randomBytes(64).toString('base64'),
    });

    await checkpoints.checkpointHead();

    const file = externalAt(real.seq);
    expect(file?.hash).toBe(real.hash);
    expect(checkpoints.signer.verify(file!)).toBe(true);
    expect(await alertsAbout(real.seq)).toHaveLength(1);
    expect(await services.get(AuditVerifierService).verify({ full: true })).toMatchObject({
      ok: false,
      firstBrokenSeq: real.seq,
    });
  });

  it('keeps checkpointing as the head advances past a validly signed row planted far ahead of it', async () => {
    await writeEvents(3);
    const start = await head();
    await checkpoints.checkpointHead();
    // A genuine signature over a hash this chain never had (replayed from another install with the same key).
    const planted = checkpoints.signer.sign(start.seq + 1000, randomBytes(32), new Date());
    await plant(planted);

    await writeEvents(1000);
    const reached = await head();
    expect(reached.seq).toBe(planted.seq);
    await checkpoints.checkpointHead();
    expect(externalAt(planted.seq)?.hash).toBe(reached.hash);
    expect(checkpoints.signer.verify(externalAt(planted.seq)!)).toBe(true);
    expect(await alertsAbout(planted.seq)).toHaveLength(1);

    await writeEvents(5);
    const later = await head();
    await checkpoints.checkpointHead();
    expect(externalAt(later.seq)?.hash).toBe(later.hash);
    const stored = (await checkpoints.stored()).find((c) => c.seq === later.seq);
    expect(stored?.hash).toBe(later.hash);
    expect(checkpoints.signer.verify(stored!)).toBe(true);
  });

  it('reports a row planted ahead of the head as soon as it is there', async () => {
    await writeEvents(3);
    const real = await head();
    await plant({
      seq: real.seq + 1000,
      hash: randomBytes(32).toString('hex'),
      time: new Date().toISOString(),
      keyId: checkpoints.signer.keyId,
      signature: randomBytes(64).toString('base64'),
    });
    await checkpoints.checkpointHead();
    expect(externalAt(real.seq)?.hash).toBe(real.hash);
    expect(await alertsAbout(real.seq + 1000)).toHaveLength(1);
  });

  it('sets aside an external file that does not verify and writes the genuine checkpoint in its place', async () => {
    await writeEvents(2);
    const real = await head();
    const file = join(
      services.config.audit.checkpointDir,
      `checkpoint-${String(real.seq).padStart(15, '0')}.json`,
    );
    mkdirSync(services.config.audit.checkpointDir, { recursive: true });
    const bogus = { seq: real.seq, hash: randomBytes(32).toString('hex'), time: new Date().toISOString() };
    writeFileSync(file, JSON.stringify({ ...bogus, keyId: 'x', signature: 'x' }));
    await checkpoints.checkpointHead();
    expect(externalAt(real.seq)?.hash).toBe(real.hash);
    expect(checkpoints.signer.verify(externalAt(real.seq)!)).toBe(true);
    expect(readdirSync(services.config.audit.checkpointDir).some((f) => f.includes('.rejected-'))).toBe(true);
    expect(await alertsAbout(real.seq)).toHaveLength(1);
  });

  it('stores a genuine checkpoint once and raises nothing when the table holds no forgery', async () => {
    await writeEvents(4);
    const real = await head();
    await checkpoints.checkpointHead();
    await checkpoints.checkpointHead();
    const stored = (await checkpoints.stored()).filter((c) => c.seq === real.seq);
    expect(stored).toHaveLength(1);
    expect(stored[0].hash).toBe(real.hash);
    expect(externalAt(real.seq)?.hash).toBe(real.hash);
    expect(await em.fork().count(Alert, { type: 'audit_checkpoint_invalid' })).toBe(0);
    expect(await services.get(AuditVerifierService).verify({ full: true })).toMatchObject({ ok: true });
  });
});
