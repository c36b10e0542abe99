/** Flow schedules: standard (Vixie) cron semantics through croner, with fixed dates. */
import { describe, expect, it } from 'vitest';
import { checkSchedule, checkTimezone, nextRun, nextRuns, ScheduleError } from '../../../src/flows/schedule.js';

const at = (iso: string) => new Date(iso);
const iso = (d: Date | null) => d?.toISOString() ?? null;
const isos = (ds: Date[]) => ds.map((d) => d.toISOString());
/** Weekday and wall-clock time of an instant in a time zone, e.g. "Mon 09:00". */
const wall = (d: Date, timeZone: string) =>
  new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d).replace(',', '');

/** Friday 13 June 2025, 15:00 UTC. */
const FRIDAY_AFTERNOON = at('2025-06-13T15:00:00Z');

describe('weekdays: 0 9 * * 1-5 is Monday to Friday (standard cron, not APScheduler)', () => {
  it('from a Friday afternoon the next run is Monday 09:00, never Saturday or Sunday', () => {
    expect(iso(nextRun('0 9 * * 1-5', 'UTC', FRIDAY_AFTERNOON))).toBe('2025-06-16T09:00:00.000Z');
    const runs = nextRuns('0 9 * * 1-5', 'UTC', FRIDAY_AFTERNOON, 10);
    expect(isos(runs)).toEqual([
      '2025-06-16T09:00:00.000Z', '2025-06-17T09:00:00.000Z', '2025-06-18T09:00:00.000Z', '2025-06-19T09:00:00.000Z', '2025-06-20T09:00:00.000Z',
      '2025-06-23T09:00:00.000Z', '2025-06-24T09:00:00.000Z', '2025-06-25T09:00:00.000Z', '2025-06-26T09:00:00.000Z', '2025-06-27T09:00:00.000Z',
    ]);
    // APScheduler reads 1-5 as Tuesday to Saturday: no Saturday and no missing Monday here.
    expect(runs.map((d) => d.getUTCDay()).sort()).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
  });

  it('on a Friday morning before 09:00 the next run is that Friday', () => {
    expect(iso(nextRun('0 9 * * 1-5', 'UTC', at('2025-06-13T08:59:00Z')))).toBe('2025-06-13T09:00:00.000Z');
  });

  it('the next run is strictly after `from`: exactly 09:00 on a Monday gives Tuesday', () => {
    expect(iso(nextRun('0 9 * * 1-5', 'UTC', at('2025-06-16T09:00:00Z')))).toBe('2025-06-17T09:00:00.000Z');
  });
});

describe('time zones, on both sides of a daylight-saving change', () => {
  it('Europe/Berlin, spring forward (30 March 2025): 09:00 CET is 08:00Z, 09:00 CEST is 07:00Z', () => {
    const runs = nextRuns('0 9 * * 1-5', 'Europe/Berlin', at('2025-03-27T12:00:00Z'), 3);
    expect(isos(runs)).toEqual(['2025-03-28T08:00:00.000Z', '2025-03-31T07:00:00.000Z', '2025-04-01T07:00:00.000Z']);
    expect(runs.map((d) => wall(d, 'Europe/Berlin'))).toEqual(['Fri 09:00', 'Mon 09:00', 'Tue 09:00']);
  });

  it('Europe/Berlin, fall back (26 October 2025): 07:00Z before, 08:00Z after', () => {
    const runs = nextRuns('0 9 * * 1-5', 'Europe/Berlin', at('2025-10-23T12:00:00Z'), 3);
    expect(isos(runs)).toEqual(['2025-10-24T07:00:00.000Z', '2025-10-27T08:00:00.000Z', '2025-10-28T08:00:00.000Z']);
    expect(runs.map((d) => wall(d, 'Europe/Berlin'))).toEqual(['Fri 09:00', 'Mon 09:00', 'Tue 09:00']);
  });

  it('America/New_York, spring forward (9 March 2025): 14:00Z before, 13:00Z after', () => {
    const runs = nextRuns('0 9 * * 1-5', 'America/New_York', at('2025-03-06T20:00:00Z'), 3);
    expect(isos(runs)).toEqual(['2025-03-07T14:00:00.000Z', '2025-03-10T13:00:00.000Z', '2025-03-11T13:00:00.000Z']);
    expect(runs.map((d) => wall(d, 'America/New_York'))).toEqual(['Fri 09:00', 'Mon 09:00', 'Tue 09:00']);
  });

  it('America/New_York, fall back (2 November 2025): 13:00Z before, 14:00Z after', () => {
    const runs = nextRuns('0 9 * * 1-5', 'America/New_York', at('2025-10-30T20:00:00Z'), 3);
    expect(isos(runs)).toEqual(['2025-10-31T13:00:00.000Z', '2025-11-03T14:00:00.000Z', '2025-11-04T14:00:00.000Z']);
  });

  it('the weekday is the weekday in the flow\'s zone: Monday 09:00 in Tokyo is still Sunday in UTC', () => {
    expect(iso(nextRun('0 9 * * 1', 'Asia/Tokyo', FRIDAY_AFTERNOON))).toBe('2025-06-16T00:00:00.000Z');
    expect(iso(nextRun('0 9 * * 1', 'Pacific/Honolulu', FRIDAY_AFTERNOON))).toBe('2025-06-16T19:00:00.000Z');
  });

  it('a time that falls into the skipped or repeated hour still fires once that day', () => {
    const spring = nextRuns('30 2 * * *', 'Europe/Berlin', at('2025-03-29T12:00:00Z'), 3);
    expect(spring.map((d) => d.toISOString().slice(0, 10))).toEqual(['2025-03-30', '2025-03-31', '2025-04-01']);
    const fall = nextRuns('30 2 * * *', 'Europe/Berlin', at('2025-10-25T12:00:00Z'), 3);
    expect(isos(fall)).toEqual(['2025-10-26T00:30:00.000Z', '2025-10-27T01:30:00.000Z', '2025-10-28T01:30:00.000Z']);
  });

  it('without a time zone the server\'s local time is used', () => {
    const d = nextRun('0 9 * * *', undefined, FRIDAY_AFTERNOON)!;
    expect([d.getHours(), d.getMinutes(), d.getSeconds()]).toEqual([9, 0, 0]);
    expect(d.getTime()).toBeGreaterThan(FRIDAY_AFTERNOON.getTime());
    expect(d.getTime() - FRIDAY_AFTERNOON.getTime()).toBeLessThanOrEqual(25 * 3600_000);
  });
});

describe('fields', () => {
  it('Sunday is 0 and 7', () => {
    const sun0 = nextRuns('0 9 * * 0', 'UTC', FRIDAY_AFTERNOON, 3);
    expect(isos(sun0)).toEqual(['2025-06-15T09:00:00.000Z', '2025-06-22T09:00:00.000Z', '2025-06-29T09:00:00.000Z']);
    expect(isos(nextRuns('0 9 * * 7', 'UTC', FRIDAY_AFTERNOON, 3))).toEqual(isos(sun0));
    expect(isos(nextRuns('0 9 * * 5-7', 'UTC', FRIDAY_AFTERNOON, 3))).toEqual(['2025-06-14T09:00:00.000Z', '2025-06-15T09:00:00.000Z', '2025-06-20T09:00:00.000Z']);
  });

  it('names of days and months, in any case', () => {
    expect(isos(nextRuns('0 9 * * mon-fri', 'UTC', FRIDAY_AFTERNOON, 5))).toEqual(isos(nextRuns('0 9 * * 1-5', 'UTC', FRIDAY_AFTERNOON, 5)));
    expect(isos(nextRuns('0 9 * * SAT,SUN', 'UTC', FRIDAY_AFTERNOON, 3))).toEqual(['2025-06-14T09:00:00.000Z', '2025-06-15T09:00:00.000Z', '2025-06-21T09:00:00.000Z']);
    expect(isos(nextRuns('0 0 1 jan *', 'UTC', FRIDAY_AFTERNOON, 2))).toEqual(['2026-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z']);
    expect(isos(nextRuns('0 0 1 JUN-AUG *', 'UTC', at('2025-01-01T00:00:00Z'), 3))).toEqual(['2025-06-01T00:00:00.000Z', '2025-07-01T00:00:00.000Z', '2025-08-01T00:00:00.000Z']);
  });

  it('steps, ranges with steps, and lists', () => {
    const from = at('2025-06-01T00:00:00Z');
    expect(isos(nextRuns('*/20 9-10 * * *', 'UTC', from, 7))).toEqual([
      '2025-06-01T09:00:00.000Z', '2025-06-01T09:20:00.000Z', '2025-06-01T09:40:00.000Z',
      '2025-06-01T10:00:00.000Z', '2025-06-01T10:20:00.000Z', '2025-06-01T10:40:00.000Z', '2025-06-02T09:00:00.000Z',
    ]);
    expect(isos(nextRuns('10-50/20 * * * *', 'UTC', from, 4))).toEqual(['2025-06-01T00:10:00.000Z', '2025-06-01T00:30:00.000Z', '2025-06-01T00:50:00.000Z', '2025-06-01T01:10:00.000Z']);
    expect(isos(nextRuns('0 8,12,17 * * *', 'UTC', from, 4))).toEqual(['2025-06-01T08:00:00.000Z', '2025-06-01T12:00:00.000Z', '2025-06-01T17:00:00.000Z', '2025-06-02T08:00:00.000Z']);
    expect(isos(nextRuns('0 0 1,15 * *', 'UTC', from, 3))).toEqual(['2025-06-15T00:00:00.000Z', '2025-07-01T00:00:00.000Z', '2025-07-15T00:00:00.000Z']);
  });

  it('day-of-month and day-of-week both restricted: either matches (Vixie cron)', () => {
    // The 1st of the month OR a Monday; 1 June 2025 is a Sunday.
    expect(isos(nextRuns('0 0 1 * 1', 'UTC', at('2025-06-01T00:00:00Z'), 6))).toEqual([
      '2025-06-02T00:00:00.000Z', '2025-06-09T00:00:00.000Z', '2025-06-16T00:00:00.000Z',
      '2025-06-23T00:00:00.000Z', '2025-06-30T00:00:00.000Z', '2025-07-01T00:00:00.000Z',
    ]);
    // Only one of them restricted: that one decides alone.
    expect(isos(nextRuns('0 0 1 * *', 'UTC', at('2025-06-01T00:00:00Z'), 2))).toEqual(['2025-07-01T00:00:00.000Z', '2025-08-01T00:00:00.000Z']);
    expect(isos(nextRuns('0 0 * * 1', 'UTC', at('2025-06-01T00:00:00Z'), 2))).toEqual(['2025-06-02T00:00:00.000Z', '2025-06-09T00:00:00.000Z']);
  });

  it('@daily, @hourly, @weekly, @monthly, @yearly', () => {
    expect(isos(nextRuns('@daily', 'UTC', FRIDAY_AFTERNOON, 2))).toEqual(['2025-06-14T00:00:00.000Z', '2025-06-15T00:00:00.000Z']);
    expect(isos(nextRuns('@hourly', 'UTC', FRIDAY_AFTERNOON, 2))).toEqual(['2025-06-13T16:00:00.000Z', '2025-06-13T17:00:00.000Z']);
    expect(isos(nextRuns('@weekly', 'UTC', FRIDAY_AFTERNOON, 1))).toEqual(['2025-06-15T00:00:00.000Z']);
    expect(isos(nextRuns('@monthly', 'UTC', FRIDAY_AFTERNOON, 1))).toEqual(['2025-07-01T00:00:00.000Z']);
    expect(isos(nextRuns('@yearly', 'UTC', FRIDAY_AFTERNOON, 1))).toEqual(['2026-01-01T00:00:00.000Z']);
    expect(isos(nextRuns('@daily', 'Europe/Berlin', FRIDAY_AFTERNOON, 1))).toEqual(['2025-06-13T22:00:00.000Z']);
  });

  it('six fields: seconds first', () => {
    expect(isos(nextRuns('*/15 * * * * *', 'UTC', FRIDAY_AFTERNOON, 4))).toEqual([
      '2025-06-13T15:00:15.000Z', '2025-06-13T15:00:30.000Z', '2025-06-13T15:00:45.000Z', '2025-06-13T15:01:00.000Z',
    ]);
    expect(isos(nextRuns('30 0 9 * * 1-5', 'UTC', FRIDAY_AFTERNOON, 2))).toEqual(['2025-06-16T09:00:30.000Z', '2025-06-17T09:00:30.000Z']);
  });

  it('extra whitespace between and around fields is fine', () => {
    expect(iso(nextRun('  0   9 * *\t1-5 ', 'UTC', FRIDAY_AFTERNOON))).toBe('2025-06-16T09:00:00.000Z');
  });
});

describe('errors name the field', () => {
  const fails = (schedule: string, timezone?: string) => {
    try {
      nextRun(schedule, timezone, FRIDAY_AFTERNOON);
    } catch (e) {
      expect(e).toBeInstanceOf(ScheduleError);
      return (e as Error).message;
    }
    throw new Error(`'${schedule}' was accepted`);
  };

  it('a wrong number of fields', () => {
    for (const s of ['0 9 * *', '9', '0 0 9 * * 1-5 2026', '']) expect(fails(s)).toMatch(/^schedule: .*needs 5 fields/);
    expect(fails('0 9 * *')).toContain("'0 9 * *'");
  });

  it('out-of-range values, with the field that is wrong', () => {
    expect(fails('60 * * * *')).toMatch(/^schedule: '60 \* \* \* \*' is not a valid cron expression: .*minute/);
    expect(fails('0 25 * * *')).toMatch(/^schedule: .*hour/);
    expect(fails('0 9 32 * *')).toMatch(/^schedule: .*day/);
    expect(fails('0 9 * 13 *')).toMatch(/^schedule: .*month/);
    expect(fails('0 9 * * 8')).toMatch(/^schedule: .*dayOfWeek/);
    expect(fails('60 0 9 * * *')).toMatch(/^schedule: .*second/);
    expect(fails('0 9 * * 5-1')).toMatch(/^schedule: .*5-1/);
  });

  it('garbage', () => {
    expect(fails('a b c d e')).toMatch(/^schedule: 'a b c d e' is not a valid cron expression/);
    expect(fails('every monday')).toMatch(/^schedule: /);
    expect(fails('*/0 * * * *')).toMatch(/^schedule: .*step/i);
    expect(fails('@sometimes')).toMatch(/^schedule: /);
    expect(fails('@daily at 9')).toMatch(/^schedule: /);
  });

  it('unknown time zones', () => {
    expect(fails('0 9 * * *', 'Mars/Olympus')).toMatch(/^timezone: 'Mars\/Olympus' is not an IANA time zone/);
    expect(fails('0 9 * * *', 'CEST+1')).toMatch(/^timezone: /);
    expect(() => checkTimezone('Europe/Berlin')).not.toThrow();
    expect(() => checkTimezone('UTC')).not.toThrow();
    expect(() => checkTimezone('Berlin')).toThrow(/^timezone: 'Berlin'/);
  });

  it('checkSchedule accepts good schedules and names the field of bad ones', () => {
    expect(() => checkSchedule('0 9 * * 1-5', 'Europe/Berlin')).not.toThrow();
    expect(() => checkSchedule('@hourly')).not.toThrow();
    expect(() => checkSchedule('0 9 * *')).toThrow(/^schedule: /);
    expect(() => checkSchedule('0 9 * * *', 'Nowhere/Special')).toThrow(/^timezone: /);
  });
});

describe('a schedule that never fires again', () => {
  it('has no next run, and checkSchedule refuses it', () => {
    expect(nextRun('0 0 30 2 *', 'UTC', FRIDAY_AFTERNOON)).toBeNull();
    expect(nextRuns('0 0 31 4 *', 'UTC', FRIDAY_AFTERNOON, 3)).toEqual([]);
    expect(() => checkSchedule('0 0 30 2 *')).toThrow(ScheduleError);
    expect(() => checkSchedule('0 0 30 2 *')).toThrow(/^schedule: '0 0 30 2 \*' never fires again/);
  });

  it('February 29 is not "never": it fires in the next leap year', () => {
    expect(iso(nextRun('0 0 29 2 *', 'UTC', FRIDAY_AFTERNOON))).toBe('2028-02-29T00:00:00.000Z');
    expect(() => checkSchedule('0 0 29 2 *')).not.toThrow();
  });
});
