// What the web app's composer and template editor show as people type: a text's encoding and
// segments, and a template rendered with the account's own values.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { formatPhoneForDisplay } from '../../domain/phone.ts';
import { describeCallbackWindow, SCHEDULE_SLOTS, slotAt } from '../../domain/schedule.ts';
import { checkTemplate, MAX_MESSAGE_CHARACTERS, measureText, renderTemplate } from '../../domain/templates.ts';
import { scheduleOf } from '../../services/account-settings.ts';
import type { ServiceContext } from '../../services/context.ts';
import { notFound } from '../../services/errors.ts';
import { findAccount } from '../../store/accounts-repository.ts';
import { findAccountLine, listLines } from '../../store/lines-repository.ts';
import { principalOf } from '../auth.ts';
import { parseInput } from '../validation.ts';

// Longer than any text may be, so the answer can say by how much it is over.
const body = z.string().max(MAX_MESSAGE_CHARACTERS * 4, `must be at most ${MAX_MESSAGE_CHARACTERS * 4} characters`);

const Measure = z.strictObject({ body });
const Preview = z.strictObject({
  body,
  slot: z.enum(SCHEDULE_SLOTS as unknown as ['open', 'after_hours', 'weekend', 'holiday']).optional(),
  /** Whose number {{line_number}} shows; the account's first line when left out. */
  lineId: z.string().min(1).optional(),
  /** reply (saved replies, follow-up steps) need not name the business or say STOP, as a text-back must. */
  purpose: z.enum(['text_back', 'reply']).optional(),
});

/** The name the preview greets: a caller whose name we know. */
const SAMPLE_FIRST_NAME = 'Sam';

export function registerMeasureRoutes(api: FastifyInstance, ctx: ServiceContext): void {
  api.post('/messages/measure', async (request) => {
    const input = parseInput(Measure, request.body);
    const m = measureText(input.body);
    return { characters: m.characters, encoding: m.encoding, segments: m.segments, nonGsmCharacters: [...m.nonGsmCharacters] };
  });

  api.post('/templates/preview', async (request) => {
    const input = parseInput(Preview, request.body);
    const { accountId } = principalOf(request);
    const account = await findAccount(ctx.store.db, accountId);
    if (!account) throw notFound(`account ${accountId}`);
    const line = input.lineId ? await findAccountLine(ctx.store.db, accountId, input.lineId) : (await listLines(ctx.store.db, accountId))[0];
    if (input.lineId && !line) throw notFound(`line ${input.lineId}`);
    const now = ctx.clock();
    const schedule = scheduleOf(account);
    // As text-back.ts fills it in for a missed call now (the callback window reads as it would now).
    const text = renderTemplate(input.body, {
      business_name: account.name,
      first_name: SAMPLE_FIRST_NAME,
      callback_window: describeCallbackWindow(now, schedule),
      booking_link: account.booking_url ?? '',
      line_number: line ? formatPhoneForDisplay(line.number) : '',
    });
    const check = checkTemplate(input.body, { purpose: input.purpose ?? 'text_back', hasBookingLink: account.booking_url !== null });
    const m = measureText(text);
    return {
      text,
      slot: input.slot ?? slotAt(now, schedule),
      characters: m.characters,
      encoding: m.encoding,
      segments: m.segments,
      nonGsmCharacters: [...m.nonGsmCharacters],
      errors: check.ok ? [] : check.errors,
    };
  });
}
