import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SecretHistoryRepo } from '../../src/inventory/secret-history-repo.js';
import { buildRotationCalendar, rotationCalendar, upcomingRotations } from '../../src/reminders/rotation-calendar.js';
import { openTempStore, type TempStore } from '../support/temp-db.js';
import { operator } from '../support/actors.js';

/** RFC 5545 §3.3.6: after `T` a duration must name hours, minutes or seconds. */
const DURATION = /^[+-]?P(?:\d+W|(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+S)?)?)$/;

describe('rotation calendar (RFC 5545)', () => {
  let store: TempStore;
  beforeEach(() => {
    store = openTempStore();
    store.inventoryService.create(
      {
        name: 'prod/pay.ments-api/signing_key',
        owner: 'U0123ABCD',
        consumers: ['billing; api', 'web, mobile'],
        description: 'long '.repeat(40),
      },
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

describe('rotation calendar: octets, a stable SEQUENCE, overdue secrets', () => {
  const events = (ics: string) =>
    ics
      .replace(/\r\n[ \t]/g, '')
      .split('BEGIN:VEVENT')
      .slice(1)
      .map((event) => ({
        uid: /UID:(.*)/.exec(event)?.[1],
        sequence: Number(/SEQUENCE:(\d+)/.exec(event)?.[1]),
        start: /DTSTART;VALUE=DATE:(\d+)/.exec(event)?.[1],
      }));
  const calendarOf = (store: TempStore) =>
    rotationCalendar({ inventory: store.inventory, history: new SecretHistoryRepo(store.db) }, store.clock.now(), { days: 30 });

  it('folds at 75 octets, never inside a character, and unfolds back to the same text', () => {
    const store = openTempStore();
    try {
      const consumers = [
        'Zahlungsabwicklung – Überweisungen für Großkunden',
        '決済サービスの本番環境と請求バッチ処理',
        'café crème ☕ notifications 🚀🚀🚀',
      ];
      store.inventoryService.create({ name: 'prod/payments/signing_key', owner: 'U0123ABCD', consumers }, operator('U1'), 'test');
      const ics = calendarOf(store);
      for (const line of ics.split('\r\n')) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(75);
      expect(ics).not.toContain('\uFFFD');
      expect(ics.replace(/\r\n[ \t]/g, '')).toContain(`Consumers: ${consumers.join('\\, ')}`);
    } finally {
      store.close();
    }
  });

  it('SEQUENCE is the same on every export, from any copy of the inventory, and grows when the secret changes', () => {
    const first = openTempStore({ at: '2026-11-22T10:00:00Z' });
    const second = openTempStore({ at: '2026-11-22T17:43:00Z' });
    try {
      for (const store of [first, second])
        store.inventoryService.create(
          { name: 'prod/app/api_key', owner: 'U0123ABCD', lastRotated: '2026-09-01' },
          operator('U1'),
          'import',
        );
      const initial = events(calendarOf(first));
      first.clock.advance({ hours: 5 });
      first.inventoryService.recordVersion('prod/app/api_key', { versionId: 'v1', fingerprint: 'a'.repeat(64) }, operator('rotor'));
      expect(events(calendarOf(first))).toEqual(initial);
      expect(events(calendarOf(second))).toEqual(initial);
      first.inventoryService.setOwner('prod/app/api_key', 'U0456EFGH', operator('U1'), 'slack');
      expect(events(calendarOf(first))).toEqual([{ ...initial[0], sequence: (initial[0]?.sequence ?? 0) + 1 }]);
    } finally {
      first.close();
      second.close();
    }
  });

  it('includes overdue secrets at their due date, and compromised ones', () => {
    const store = openTempStore({ at: '2026-11-22T10:00:00Z' });
    try {
      store.inventoryService.create(
        { name: 'prod/app/api_key', owner: 'U0123ABCD', intervalDays: 30, lastRotated: '2026-10-01' },
        operator('U1'),
        'import',
      );
      store.inventoryService.create(
        { name: 'prod/app/db_password', owner: 'U0123ABCD', intervalDays: 90, lastRotated: '2026-11-01', lifecycle: 'compromised' },
        operator('U1'),
        'import',
      );
      store.inventoryService.create(
        { name: 'prod/app/retired_key', owner: 'U0123ABCD', intervalDays: 30, lastRotated: '2026-09-01', lifecycle: 'retired' },
        operator('U1'),
        'import',
      );
      expect(events(calendarOf(store)).map((event) => [event.uid, event.start])).toEqual([['rotation-prod-app-api_key@rotor', '20261031']]);
      expect(
        events(
          rotationCalendar({ inventory: store.inventory, history: new SecretHistoryRepo(store.db) }, store.clock.now(), { days: 90 }),
        ).map((event) => event.start),
      ).toEqual(['20261031', '20270130']);
    } finally {
      store.close();
    }
  });
});
