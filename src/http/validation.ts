// Request validation with zod; every error names the field and says what is wrong.
import { z } from 'zod';
import { normalizePhone } from '../domain/phone.ts';
import { AppError, type FieldError } from '../services/errors.ts';
import { decodeCursor } from '../store/paging.ts';

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined), input);
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const missing = issue.path.length > 0 && valueAt(input, issue.path) === undefined;
  if ((issue.code === 'invalid_type' || issue.code === 'invalid_value') && missing) return 'is required';
  if (issue.code === 'invalid_type') {
    return `must be ${issue.expected === 'array' ? 'a list' : issue.expected === 'object' ? 'a JSON object' : `a ${issue.expected}`}`;
  }
  if (issue.code === 'unrecognized_keys') return `is not a known field (${issue.keys.join(', ')})`;
  if (issue.code === 'invalid_value') return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  return issue.message;
}

export function parseInput<S extends z.ZodType>(schema: S, input: unknown, where: 'body' | 'query' | 'params' = 'body'): z.output<S> {
  const result = schema.safeParse(input ?? (where === 'body' ? undefined : {}));
  if (result.success) return result.data;
  const fields: FieldError[] = result.error.issues.map((issue) => {
    const field = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.join('.') || `(request ${where})`;
    return { field, message: describeIssue(issue, input) };
  });
  const summary = fields.map((f) => `${f.field} ${f.message}`).join('; ');
  throw new AppError('validation_failed', input === undefined && where === 'body' ? 'the request needs a JSON body' : summary, fields);
}

/** A phone number field, normalised to E.164 (national forms are read as US numbers). */
export function phoneField(opts: { allowFictional: boolean }) {
  return z.string().transform((value, ctx) => {
    const result = normalizePhone(value, { allowFictional: opts.allowFictional });
    if (!result.ok) {
      ctx.addIssue({ code: 'custom', message: `${result.reason}` });
      return z.NEVER;
    }
    return result.e164;
  });
}

/** `before`: the `next` token of the previous page, or a plain ISO time ("older than this"). */
export const cursorField = z.string().transform((value, ctx) => {
  const cursor = decodeCursor(value);
  if (!cursor) {
    ctx.addIssue({ code: 'custom', message: 'must be the `next` value of the previous page, or an ISO-8601 time' });
    return z.NEVER;
  }
  return cursor;
});

export const limitField = z.coerce.number().int().min(1).max(200).default(50);

export const isoTimeField = z.iso
  .datetime({ offset: true, message: 'must be an ISO-8601 time with a zone, e.g. 2026-11-22T14:05:00Z' })
  .transform((v) => new Date(v));

/** A query-string flag: "true" or "false". */
export const booleanQueryField = z.enum(['true', 'false']).transform((v) => v === 'true');
