import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { Clock } from '@app/common';
import { planChanges, type SimEvent } from './change-plan';
import { planDeliveries } from './delivery-plan';
import { encodeFeedCursor } from './feed-cursor';
import { GenerationInProgress, NothingToChange, TargetNotConfigured } from './sim-errors';
import type { ActiveTarget, SimSettings } from './sim-settings';
import type { SimStore } from './sim-store';
import type { SendTally, WebhookSender } from './webhook-sender';

export interface GenerateCommand {
  members: number;
  changes: number;
  seed: number;
  dropRate: number;
  duplicateRate: number;
  reorder: boolean;
  delayMs: number;
  concurrency: number;
  /** false: record to the store and feed only, push no webhook. */
  send: boolean;
}

/** A run as the control API shows it: counts and ids, never member data. */
export interface GenerationRun {
  runId: string;
  status: 'running' | 'done' | 'failed';
  startedAt: string;
  finishedAt: string | null;
  /** Events recorded in the store and the feed: `members` creates + `changes` updates. */
  events: number;
  members: number;
  changes: number;
  /** The feed cursor just before this run's first event (read the run's events from here). */
  feedCursor: string;
  /** Events whose webhook was never sent (plan). */
  dropped: number;
  /** Events whose webhook went out; sent + dropped = events once done. */
  sent: number;
  duplicated: number;
  /** sent + duplicated. */
  requests: number;
  responses: Record<string, number>;
  failed: number;
  error: string | null;
}

const RUNS_KEPT = 20;

/**
 * `POST /sim/generate`: plans a run from its seed, commits its events to the store and the feed,
 * then pushes them to our API as the delivery plan says. One run at a time.
 */
export class GenerationService {
  private readonly logger = new Logger('MembershipSim');
  private readonly runs = new Map<string, GenerationRun>();
  private running: { runId: string; done: Promise<void> } | null = null;

  constructor(
    private readonly store: SimStore,
    private readonly sender: WebhookSender,
    private readonly settings: SimSettings,
    private readonly clock: Clock,
  ) {}

  /** Starts a run; `done` settles when it has finished (its outcome is in the run, not a rejection). */
  async start(command: GenerateCommand): Promise<{ run: GenerationRun; done: Promise<void> }> {
    if (this.running) throw new GenerationInProgress(this.running.runId);
    const active = this.settings.target();
    if (command.send && !active) throw new TargetNotConfigured();
    const runId = `run_${randomBytes(8).toString('hex')}`;
    const run: GenerationRun = {
      runId,
      status: 'running',
      startedAt: this.clock.now().toISOString(),
      finishedAt: null,
      events: 0,
      members: command.members,
      changes: command.changes,
      feedCursor: '',
      dropped: 0,
      sent: 0,
      duplicated: 0,
      requests: 0,
      responses: {},
      failed: 0,
      error: null,
    };
    // Claimed before the first await, so two concurrent calls cannot both start.
    let finished: () => void = () => undefined;
    this.running = { runId, done: new Promise<void>((resolve) => (finished = resolve)) };
    let events: SimEvent[];
    try {
      events = await this.record(command, run, active?.target.organizationId ?? null);
    } catch (error) {
      this.running = null;
      finished();
      throw error;
    }
    this.remember(run);
    const done = this.push(command, run, events, active).finally(() => {
      this.running = null;
      finished();
    });
    return { run, done };
  }

  find(runId: string): GenerationRun | undefined {
    return this.runs.get(runId);
  }

  /** Waits for a running run (shutdown). */
  async idle(): Promise<void> {
    await this.running?.done;
  }

  private async record(
    command: GenerateCommand,
    run: GenerationRun,
    organizationId: string | null,
  ): Promise<SimEvent[]> {
    const existing = command.members === 0 && command.changes > 0 ? await this.store.activeDocuments() : [];
    if (command.members === 0 && command.changes > 0 && existing.length === 0) throw new NothingToChange();
    const lastAt = await this.store.lastOccurredAtMs();
    const plan = planChanges({
      seed: command.seed,
      members: command.members,
      firstMemberIndex: command.members > 0 ? await this.store.memberCount() : 0,
      changes: command.changes,
      existing,
      // Later than anything already in the feed, so occurrence order stays commit order across runs.
      startAtMs: Math.max(this.clock.nowMs(), (lastAt ?? 0) + 1),
      newSourceRef: () => `src_${randomBytes(12).toString('hex')}`,
      newEventId: () => `evt_${randomBytes(12).toString('hex')}`,
    });
    run.feedCursor = encodeFeedCursor(await this.store.lastPosition());
    await this.store.record(plan.events, plan.documents, organizationId);
    run.events = plan.events.length;
    this.logger.log(`${run.runId}: recorded ${run.events} events for ${plan.documents.size} members`);
    return plan.events;
  }

  private async push(
    command: GenerateCommand,
    run: GenerationRun,
    events: SimEvent[],
    active: ActiveTarget | null,
  ): Promise<void> {
    const tally: SendTally = { sent: 0, duplicated: 0, responses: {}, failed: 0, memberIds: new Map() };
    try {
      if (command.send && active) {
        const plan = planDeliveries(events.length, {
          seed: command.seed,
          dropRate: command.dropRate,
          duplicateRate: command.duplicateRate,
          reorder: command.reorder,
        });
        run.dropped = plan.dropped.length;
        await this.sender.send(events, plan, active, command, tally);
        await this.store.rememberMemberIds(tally.memberIds);
      }
      run.status = 'done';
    } catch (error) {
      run.status = 'failed';
      // Our own messages only (transport and token errors carry no member data).
      run.error = error instanceof Error ? error.message : 'generation failed';
    } finally {
      Object.assign(run, {
        sent: tally.sent,
        duplicated: tally.duplicated,
        requests: tally.sent + tally.duplicated,
        responses: tally.responses,
        failed: tally.failed,
        finishedAt: this.clock.now().toISOString(),
      });
    }
    this.logger.log(
      `${run.runId}: ${run.status}; sent ${run.sent}, dropped ${run.dropped}, duplicated ${run.duplicated}, failed ${run.failed}`,
    );
  }

  private remember(run: GenerationRun): void {
    this.runs.set(run.runId, run);
    while (this.runs.size > RUNS_KEPT) this.runs.delete(this.runs.keys().next().value as string);
  }
}
