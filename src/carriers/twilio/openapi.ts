// Checks requests to Twilio's REST API (and the fake's answers) against Twilio's official OpenAPI
// description, test/fixtures/twilio/twilio_api_v2010.json (twilio/twilio-oai, MIT).
//
// Used by the fake Twilio in tests: every request Ringback makes must be one the description
// allows. It is stricter than a plain schema check in one way on purpose: a parameter the
// description does not name (a typo such as `DateSent>=` for `DateSent>`) is a violation, because
// Twilio silently ignores unknown parameters and the mistake would otherwise go unnoticed.
//
// The description is read once per process; validators are compiled once per operation.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import type { ErrorObject, Format, ValidateFunction } from 'ajv';

export const TWILIO_OPENAPI_PATH = fileURLToPath(new URL('../../../test/fixtures/twilio/twilio_api_v2010.json', import.meta.url));

type JsonSchema = Record<string, unknown>;

interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: JsonSchema;
}

interface OpenApiOperation {
  operationId?: string;
  parameters?: OpenApiParameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: JsonSchema }> };
  responses?: Record<string, { content?: Record<string, { schema?: JsonSchema }> }>;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, unknown>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

/** A request as it reached the server: the path is still percent-encoded, the body raw. */
export interface TwilioRequestToValidate {
  method: string;
  path: string;
  query: URLSearchParams;
  contentType?: string | undefined;
  body: string;
}

interface Route {
  template: string;
  regex: RegExp;
  names: string[];
  methods: Map<string, OpenApiOperation>;
}

interface CompiledOperation {
  pathParams: Map<string, ValidateFunction>;
  queryParams: Map<string, { validate: ValidateFunction; required: boolean; array: boolean }>;
  body: { validate: ValidateFunction; arrays: Set<string>; required: boolean } | null;
  responses: Map<string, ValidateFunction>;
}

const HTTP_METHODS = new Set(['get', 'post', 'put', 'delete', 'patch']);

const E164 = /^\+[1-9]\d{1,14}$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const RFC_2822 = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$/;

/** Twilio's own formats, plus lenient readings of the standard ones as Twilio accepts them. */
const FORMATS: Record<string, Format> = {
  // E.164, a channel address (whatsapp:+1…), a short code, or an alphanumeric sender ID.
  'phone-number': (s: string) =>
    E164.test(s) || /^[a-z][a-z0-9-]*:.+$/.test(s) || /^\d{3,8}$/.test(s) || /^(?=.*[A-Za-z])[A-Za-z0-9 &+\-_.]{1,11}$/.test(s),
  uri: (s: string) => /^[a-z][a-z0-9+.-]*:/i.test(s) && URL.canParse(s),
  // Twilio's date filters take YYYY-MM-DD as well as full date-times (see DateSent's description).
  'date-time': (s: string) => ISO_DATE.test(s) || !Number.isNaN(Date.parse(s)),
  date: (s: string) => ISO_DATE.test(s) && !Number.isNaN(Date.parse(s)),
  'date-time-rfc-2822': (s: string) => RFC_2822.test(s) && !Number.isNaN(Date.parse(s)),
  'http-method': (s: string) => /^(GET|POST|HEAD|PUT|DELETE|PATCH)$/i.test(s),
  'iso-country-code': (s: string) => /^[A-Z]{2}$/.test(s),
  currency: (s: string) => /^[A-Z]{3}$/.test(s),
  int64: { type: 'number', validate: (n: number) => Number.isInteger(n) },
  int32: { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 },
  // Free-form in the description: nothing to check.
  'uri-map': () => true,
  'phone-number-capabilities': () => true,
  'ice-server': () => true,
  endpoint: () => true,
  twiml: () => true,
};

/**
 * Requests and responses differ on `uri`: a URL Ringback gives Twilio (StatusCallback, VoiceUrl…)
 * must be absolute, while Twilio's own responses (and the description's examples) use path
 * references such as `/2010-04-01/Accounts/AC…/Messages.json` for `uri` fields.
 */
function newAjv(kind: 'request' | 'response'): Ajv {
  const formats: Record<string, Format> =
    kind === 'request' ? FORMATS : { ...FORMATS, uri: (s: string) => s.startsWith('/') || (FORMATS['uri'] as (s: string) => boolean)(s) };
  return new Ajv({
    strict: false,
    allErrors: true,
    logger: false,
    validateSchema: false,
    formats,
    // Query and form values arrive as strings: read them as the schema's types, as Twilio does.
    ...(kind === 'request' ? { coerceTypes: 'array' as const } : {}),
  });
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class TwilioOpenApi {
  static #instance: TwilioOpenApi | undefined;

  /** The description from test/fixtures, read and indexed once per process. */
  static load(): TwilioOpenApi {
    TwilioOpenApi.#instance ??= new TwilioOpenApi(JSON.parse(readFileSync(TWILIO_OPENAPI_PATH, 'utf8')) as OpenApiDocument);
    return TwilioOpenApi.#instance;
  }

  readonly #doc: OpenApiDocument;
  readonly #routes: Route[];
  readonly #compiled = new Map<OpenApiOperation, CompiledOperation>();
  readonly #requestAjv = newAjv('request');
  readonly #responseAjv = newAjv('response');

  constructor(doc: OpenApiDocument) {
    this.#doc = doc;
    this.#routes = Object.entries(doc.paths).map(([template, item]) => {
      const names: string[] = [];
      const pattern = template
        .split(/(\{[^}]+\})/)
        .map((part) => {
          const m = /^\{([^}]+)\}$/.exec(part);
          if (!m) return escapeRegex(part);
          names.push(m[1]!);
          return '([^/]+)';
        })
        .join('');
      const methods = new Map<string, OpenApiOperation>();
      for (const [method, op] of Object.entries(item)) {
        if (HTTP_METHODS.has(method)) methods.set(method.toUpperCase(), op as OpenApiOperation);
      }
      return { template, regex: new RegExp(`^${pattern}$`), names, methods };
    });
    // The most literal template wins when two could match.
    this.#routes.sort((a, b) => a.names.length - b.names.length || b.template.length - a.template.length);
  }

  /** The template and operation a request is for, with its decoded path parameters. */
  match(method: string, path: string): { template: string; operation: OpenApiOperation | undefined; params: Record<string, string> } | undefined {
    for (const route of this.#routes) {
      const m = route.regex.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => {
        const raw = m[i + 1] ?? '';
        try {
          params[name] = decodeURIComponent(raw);
        } catch {
          params[name] = raw;
        }
      });
      return { template: route.template, operation: route.methods.get(method.toUpperCase()), params };
    }
    return undefined;
  }

  /** Violations of the description; an empty list when the request is one Twilio documents. */
  validateRequest(req: TwilioRequestToValidate): string[] {
    const method = req.method.toUpperCase();
    const found = this.match(method, req.path);
    if (!found) return [`${method} ${req.path} is not a path of the Twilio REST API`];
    if (!found.operation) return [`${method} is not an operation on ${found.template}`];
    const op = this.#compile(found.operation);
    const violations: string[] = [];

    for (const [name, validate] of op.pathParams) {
      const value = found.params[name];
      if (value === undefined || validate(value)) continue;
      violations.push(...describe(`path parameter "${name}"`, validate.errors));
    }

    const seen = new Set<string>();
    for (const name of req.query.keys()) {
      if (seen.has(name)) continue;
      seen.add(name);
      const param = op.queryParams.get(name);
      if (!param) {
        violations.push(`unknown query parameter "${name}" (the description of ${method} ${found.template} has ${[...op.queryParams.keys()].join(', ') || 'none'})`);
        continue;
      }
      const values = req.query.getAll(name);
      if (!param.array && values.length > 1) {
        violations.push(`query parameter "${name}" is given ${values.length} times`);
        continue;
      }
      const data = { value: param.array ? values : values[0] };
      if (!param.validate(data)) violations.push(...describe(`query parameter "${name}"`, param.validate.errors, '/value'));
    }
    for (const [name, param] of op.queryParams) {
      if (param.required && !seen.has(name)) violations.push(`missing required query parameter "${name}"`);
    }

    const hasBody = req.body.length > 0;
    if (op.body) {
      if (hasBody && !/^application\/x-www-form-urlencoded\b/i.test(req.contentType ?? '')) {
        violations.push(`the body must be application/x-www-form-urlencoded, not ${req.contentType ?? 'unlabelled'}`);
      } else {
        const form = new URLSearchParams(req.body);
        const data: Record<string, string | string[]> = {};
        for (const name of new Set(form.keys())) {
          const values = form.getAll(name);
          if (op.body.arrays.has(name)) data[name] = values;
          else if (values.length > 1) violations.push(`body parameter "${name}" is given ${values.length} times`);
          else data[name] = values[0]!;
        }
        if (!op.body.validate(data)) violations.push(...describe('body', op.body.validate.errors));
      }
    } else if (hasBody) {
      violations.push(`${method} ${found.template} takes no request body`);
    }
    return violations;
  }

  /** Violations of the documented response schema (2xx responses; errors are not described). */
  validateResponse(method: string, path: string, status: number, body: unknown): string[] {
    const found = this.match(method, path);
    if (!found?.operation) return [`${method.toUpperCase()} ${path} is not an operation of the Twilio REST API`];
    const validate = this.#compile(found.operation).responses.get(String(status));
    if (!validate) return [`the description of ${method.toUpperCase()} ${found.template} has no ${status} response`];
    return validate(body) ? [] : describe('response', validate.errors);
  }

  #compile(operation: OpenApiOperation): CompiledOperation {
    const cached = this.#compiled.get(operation);
    if (cached) return cached;
    const pathParams = new Map<string, ValidateFunction>();
    const queryParams: CompiledOperation['queryParams'] = new Map();
    for (const p of operation.parameters ?? []) {
      const schema = this.#resolve(p.schema ?? {}, false);
      if (p.in === 'path') pathParams.set(p.name, this.#requestAjv.compile(schema));
      if (p.in === 'query') {
        queryParams.set(p.name, {
          validate: this.#requestAjv.compile({ type: 'object', properties: { value: schema } }),
          required: p.required === true,
          array: schema['type'] === 'array',
        });
      }
    }
    let body: CompiledOperation['body'] = null;
    const formSchema = operation.requestBody?.content?.['application/x-www-form-urlencoded']?.schema;
    if (formSchema) {
      const schema = this.#resolve(formSchema, false);
      const properties = (schema['properties'] ?? {}) as Record<string, JsonSchema>;
      const arrays = new Set(Object.entries(properties).filter(([, s]) => s['type'] === 'array').map(([name]) => name));
      body = {
        validate: this.#requestAjv.compile({ ...schema, additionalProperties: false }),
        arrays,
        required: operation.requestBody?.required === true,
      };
    }
    const responses = new Map<string, ValidateFunction>();
    for (const [status, response] of Object.entries(operation.responses ?? {})) {
      const schema = response.content?.['application/json']?.schema;
      if (schema) responses.set(status, this.#responseAjv.compile(this.#resolve(schema, true)));
    }
    const compiled = { pathParams, queryParams, body, responses };
    this.#compiled.set(operation, compiled);
    return compiled;
  }

  /** Inlines `#/components/schemas/…` references and turns OpenAPI 3.0 `nullable` into JSON Schema. */
  #resolve(schema: JsonSchema, nullable: boolean, stack: string[] = []): JsonSchema {
    const ref = schema['$ref'];
    if (typeof ref === 'string') {
      const name = ref.replace(/^#\/components\/schemas\//, '');
      const target = this.#doc.components?.schemas?.[name];
      if (!target || stack.includes(name)) return {};
      return this.#resolve(target, nullable, [...stack, name]);
    }
    const out: JsonSchema = {};
    for (const [key, value] of Object.entries(schema)) {
      if (key === 'description' || key === 'example' || key === 'examples' || key.startsWith('x-')) continue;
      if (key === 'properties' && value && typeof value === 'object') {
        out[key] = Object.fromEntries(Object.entries(value as Record<string, JsonSchema>).map(([k, v]) => [k, this.#resolve(v, nullable, stack)]));
      } else if ((key === 'items' || key === 'additionalProperties') && value && typeof value === 'object') {
        out[key] = this.#resolve(value as JsonSchema, nullable, stack);
      } else if ((key === 'allOf' || key === 'anyOf' || key === 'oneOf') && Array.isArray(value)) {
        out[key] = value.map((v: JsonSchema) => this.#resolve(v, nullable, stack));
      } else {
        out[key] = value;
      }
    }
    if (nullable && out['nullable'] === true) {
      if (typeof out['type'] === 'string') out['type'] = [out['type'], 'null'];
      if (Array.isArray(out['enum'])) out['enum'] = [...(out['enum'] as unknown[]), null];
    }
    delete out['nullable'];
    return out;
  }
}

function describe(where: string, errors: ErrorObject[] | null | undefined, prefix = ''): string[] {
  return (errors ?? []).map((e) => {
    if (e.keyword === 'required') return `${where}: missing required parameter "${String(e.params['missingProperty'])}"`;
    if (e.keyword === 'additionalProperties') return `${where}: unknown parameter "${String(e.params['additionalProperty'])}"`;
    const at = e.instancePath.startsWith(prefix) ? e.instancePath.slice(prefix.length) : e.instancePath;
    const field = at ? ` "${at.replace(/^\//, '')}"` : '';
    const allowed = e.keyword === 'enum' ? ` (${(e.params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')})` : '';
    return `${where}${field}: ${e.message ?? e.keyword}${allowed}`;
  });
}
