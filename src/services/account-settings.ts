// Reads an account row into the shapes the domain rules take.
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
