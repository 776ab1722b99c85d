// Reads an account row into the shapes the domain rules take, including its settings (a JSON
// column validated on save; a missing key means the default below).
import type { CountryCode } from 'libphonenumber-js';
import type { BusinessHours, BusinessSchedule } from '../domain/schedule.ts';
import type { Account } from '../store/schema.ts';

export function scheduleOf(account: Account): BusinessSchedule {
  return {
    timeZone: account.time_zone,
    hours: JSON.parse(account.business_hours) as BusinessHours,
    holidays: JSON.parse(account.holidays) as string[],
  };
}

export function regionOf(account: Account): CountryCode {
  return account.default_region as CountryCode;
}

export interface CallbackTaskSettings {
  /** A missed call from a new lead creates a "call back" task. */
  enabled: boolean;
  /** Due this long after the call when it comes in open hours. */
  dueMinutes: number;
  /** Due this long after the next opening when the call comes outside open hours. */
  afterHoursDueMinutes: number;
  /** Remind the assignee (or owners) this long before it is due; 0 for no reminder. */
  remindBeforeMinutes: number;
  /** Escalate to the owners this long after it is overdue. */
  escalateAfterMinutes: number;
}

export interface AccountSettings {
  /**
   * The immediate text-back is a direct reply to the caller's own call: 'send' texts at any hour
   * (inside the send window); 'hold' waits for the recipient's lawful window (docs/compliance.md).
   */
  textBackOutsideLawfulHours: 'send' | 'hold';
  /** The business's own window for automated texts, in the recipient's local time; null: the law's window. */
  automationHours: BusinessHours | null;
  /** Automated texts per contact per rolling window (state caps apply on top). */
  automationCap: { messages: number; hours: number };
  /** Words in a reply that page the on-call person at once. */
  emergencyWords: string[];
  callbackTasks: CallbackTaskSettings;
}

export const DEFAULT_EMERGENCY_WORDS: readonly string[] = ['flood', 'flooding', 'burst pipe', 'no heat', 'emergency', 'gas leak', 'no water'];

export const DEFAULT_ACCOUNT_SETTINGS: AccountSettings = {
  textBackOutsideLawfulHours: 'send',
  automationHours: null,
  automationCap: { messages: 3, hours: 24 },
  emergencyWords: [...DEFAULT_EMERGENCY_WORDS],
  callbackTasks: { enabled: true, dueMinutes: 120, afterHoursDueMinutes: 60, remindBeforeMinutes: 15, escalateAfterMinutes: 0 },
};

export function settingsOf(account: Pick<Account, 'settings'>): AccountSettings {
  const stored = JSON.parse(account.settings || '{}') as Partial<AccountSettings>;
  return {
    ...DEFAULT_ACCOUNT_SETTINGS,
    ...stored,
    automationCap: { ...DEFAULT_ACCOUNT_SETTINGS.automationCap, ...stored.automationCap },
    callbackTasks: { ...DEFAULT_ACCOUNT_SETTINGS.callbackTasks, ...stored.callbackTasks },
  };
}
