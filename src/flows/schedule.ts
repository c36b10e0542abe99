/**
 * Flow schedules: standard cron through croner. Five fields (minute hour day-of-month month
 * day-of-week, Sunday = 0 or 7, names allowed; day-of-month and day-of-week restricted together
 * match either, as in Vixie cron), an optional leading seconds field, or @hourly/@daily/….
 * `0 9 * * 1-5` is Monday to Friday at 09:00.
 */
import { Cron } from 'croner';

export class ScheduleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScheduleError';
  }
}

export function checkTimezone(timezone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw new ScheduleError(`timezone: '${timezone}' is not an IANA time zone (such as Europe/Berlin or America/New_York)`);
  }
}

function cron(schedule: string, timezone?: string): Cron {
  const fields = schedule.trim().split(/\s+/);
  if (!schedule.trim().startsWith('@') && fields.length !== 5 && fields.length !== 6) {
    throw new ScheduleError(`schedule: '${schedule}' needs 5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first`);
  }
  if (timezone) checkTimezone(timezone);
  try {
    // No callback: croner only computes times, nothing is scheduled (no timer to stop).
    return new Cron(schedule, { timezone, domAndDow: false });
  } catch (e) {
    throw new ScheduleError(`schedule: '${schedule}' is not a valid cron expression: ${(e as Error).message.replace(/^CronPattern:\s*/, '')}`);
  }
}

/** Throws a ScheduleError naming the field when the schedule or timezone is not valid. */
export function checkSchedule(schedule: string, timezone?: string): void {
  if (!cron(schedule, timezone).nextRun(new Date())) throw new ScheduleError(`schedule: '${schedule}' never fires again`);
}

/** The first time strictly after `from` the schedule fires, or null if never. */
export function nextRun(schedule: string, timezone: string | undefined, from: Date): Date | null {
  return cron(schedule, timezone).nextRun(from);
}

/** The next `n` times after `from` (for showing a schedule to a person). */
export function nextRuns(schedule: string, timezone: string | undefined, from: Date, n: number): Date[] {
  return cron(schedule, timezone).nextRuns(n, from);
}
