import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildRotationCalendar, upcomingRotations } from '../../src/reminders/rotation-calendar.js';
import { openTempStore, type TempStore } from '../support/temp-db.js';
import { operator } from '../support/actors.js';

/** RFC 5545 §3.3.6: after `T` a duration must name hours, minutes or seconds. */
const DURATION = /^[+-]?P(?:\d+W|(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+S)?)?)$/;

describe('rotation calendar (RFC 5545)', () => {
  let store: TempStore;
  beforeEach(() => {
    store = openTempStore();
    store.inventoryService.create(
      { name: 'prod/pay.ments-api/signing_key', owner: 'U0123ABCD', consumers: ['billing; api', 'web, mobile'], description: 'long '.repeat(40) },
      operator('U1'),
      'test',
    );
  });
  afterEach(() => store.close());

  it('writes alarm triggers as valid durations, folds long lines and escapes commas and semicolons', () => {
    const ics = buildRotationCalendar(upcomingRotations(store.inventory, store.clock.now(), { days: 30 }));
    const lines = ics.split('\r\n');
    expect(ics.replace(/\r\n/g, '')).not.toContain('\n');
    const triggers = lines.filter((line) => line.startsWith('TRIGGER:')).map((line) => line.slice('TRIGGER:'.length));
    expect(triggers).toEqual(['-P30D', '-P7D']);
    for (const trigger of triggers) expect(trigger).toMatch(DURATION);
    for (const line of lines) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(75);
    const unfolded = ics.replace(/\r\n[ \t]/g, '');
    expect(unfolded).toContain('Consumers: billing\\; api\\, web\\, mobile');
  });
});
