const DAY_MS = 86_400_000;
/** §164.404(b), §164.406(c), §164.408(b): every notice is due within 60 calendar days. */
const NOTICE_DAYS = 60;
/** §164.408(b): 500 or more affected → HHS within 60 days; fewer → the annual log. */
const HHS_IMMEDIATE_THRESHOLD = 500;
/** §164.406(a): media notice when more than 500 residents of one State or jurisdiction are affected. */
const MEDIA_THRESHOLD = 500;

export interface DeadlineFacts {
  discoveredAt: Date;
  affected: number;
  /** Affected members per address state (counts only); members without a readable address are not here. */
  residentsByState: Readonly<Record<string, number>>;
}

export interface NotificationDeadlines {
  individuals: { dueBy: string };
  hhs: { dueBy: string; route: 'within_60_days' | 'annual_log' };
  media?: { dueBy: string; states: string[] };
}

/** A UTC calendar date, `days` after the UTC date of `at`. */
function dateAfter(at: Date, days: number): string {
  const day = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
  return new Date(day + days * DAY_MS).toISOString().slice(0, 10);
}

/**
 * The breach notification deadlines, counted from discovery. The annual log is due 60 days after
 * the end of the calendar year of discovery: 1 March of the next year, or 29 February in a leap year.
 */
export function notificationDeadlines(facts: DeadlineFacts): NotificationDeadlines {
  const withinSixtyDays = dateAfter(facts.discoveredAt, NOTICE_DAYS);
  const endOfYear = new Date(Date.UTC(facts.discoveredAt.getUTCFullYear(), 11, 31));
  const deadlines: NotificationDeadlines = {
    individuals: { dueBy: withinSixtyDays },
    hhs:
      facts.affected >= HHS_IMMEDIATE_THRESHOLD
        ? { dueBy: withinSixtyDays, route: 'within_60_days' }
        : { dueBy: dateAfter(endOfYear, NOTICE_DAYS), route: 'annual_log' },
  };
  const states = Object.entries(facts.residentsByState)
    .filter(([, residents]) => residents > MEDIA_THRESHOLD)
    .map(([state]) => state)
    .sort();
  if (states.length > 0) deadlines.media = { dueBy: withinSixtyDays, states };
  return deadlines;
}
