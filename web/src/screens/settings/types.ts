import type { Account } from '../../api.ts';
import type { WeekHours } from './common.tsx';

/** GET /api/v1/account, all of it (api.ts's Account holds the parts other screens use). */
export interface AccountSettings extends Account {
  holidays: string[];
  bookingUrl: string | null;
  helpContact: string | null;
  paused: boolean;
  textBackOutsideLawfulHours: 'send' | 'hold';
  automationHours: WeekHours | null;
  automationCap: { messages: number; hours: number };
  emergencyWords: string[];
  callbackTasks: { enabled: boolean; dueMinutes: number; afterHoursDueMinutes: number; remindBeforeMinutes: number; escalateAfterMinutes: number };
}
