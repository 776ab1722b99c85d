// Another business in the same database, written straight to the store: for the tests that prove
// one account never sees, finds or changes another's data.
import { storeApiKey } from '../../src/services/access.ts';
import { newId } from '../../src/store/ids.ts';
import type { TestServer } from '../helpers.ts';

export interface OtherAccount {
  accountId: string;
  lineId: string;
  contactId: string;
  conversationId: string;
}

/**
 * An account with an owner whose API key is `apiKey`, one events-mode line (+15555550177) on the
 * simulator, and one contact with a conversation on it.
 */
export async function seedOtherAccount(
  server: TestServer,
  opts: { apiKey: string; ownerEmail: string; contact: { number: string; name?: string | null; email?: string | null }; at?: string },
): Promise<OtherAccount> {
  const db = server.ringback.store.db;
  const iso = opts.at ?? new Date().toISOString();
  const accountId = newId('acc');
  const userId = newId('usr');
  const connectionId = newId('cc');
  const lineId = newId('line');
  const contactId = newId('ct');
  const conversationId = newId('cv');
  await db.insertInto('accounts').values({ id: accountId, name: 'Other Co', time_zone: 'America/Chicago', business_hours: '{}', booking_url: null, help_contact: null, created_at: iso, updated_at: iso }).execute();
  await db.insertInto('users').values({ id: userId, email: opts.ownerEmail, name: null, password_hash: 'x', created_at: iso }).execute();
  await db.insertInto('memberships').values({ id: newId('mem'), account_id: accountId, user_id: userId, role: 'owner', created_at: iso }).execute();
  await storeApiKey(db, { accountId, userId }, 'other', opts.apiKey, iso);
  await db.insertInto('carrier_connections').values({ id: connectionId, account_id: accountId, kind: 'simulator', name: 'sim', credentials: server.ringback.ctx.carriers.seal({ signingSecret: 'x' }), api_base_url: null, created_at: iso }).execute();
  await db.insertInto('lines').values({ id: lineId, account_id: accountId, carrier_connection_id: connectionId, number: '+15555550177', name: 'Other', mode: 'events', created_at: iso, updated_at: iso }).execute();
  await db.insertInto('contacts').values({ id: contactId, account_id: accountId, number: opts.contact.number, name: opts.contact.name ?? null, email: opts.contact.email ?? null, created_at: iso, updated_at: iso }).execute();
  await db.insertInto('conversations').values({ id: conversationId, account_id: accountId, line_id: lineId, contact_id: contactId, assignee_user_id: null, last_message_at: iso, last_auto_text_at: null, last_person_contact_at: null, created_at: iso, updated_at: iso }).execute();
  return { accountId, lineId, contactId, conversationId };
}
