// Turns a stored carrier connection into its adapter, and keeps its credentials sealed.
// Adapters are cached per connection: they hold no per-request state.
import type { CarrierAdapter, LineWebhooks, WebhookKind } from '../carriers/carrier.ts';
import type { SimulatorNetwork } from '../carriers/simulator/network.ts';
import { SimulatorCarrier } from '../carriers/simulator/simulator-carrier.ts';
import { TelnyxCarrier, TelnyxCredentialsSchema } from '../carriers/telnyx/telnyx-carrier.ts';
import { TwilioCarrier, TwilioCredentialsSchema } from '../carriers/twilio/twilio-carrier.ts';
import type { CarrierConnection, Line } from '../store/schema.ts';
import type { Db } from '../store/database.ts';
import { findCarrierConnection } from '../store/lines-repository.ts';
import { decryptCredentials, encryptCredentials } from './credentials.ts';

export interface SimulatorCredentials {
  signingSecret: string;
}

export function connectionWebhookUrl(base: string, connection: Pick<CarrierConnection, 'kind' | 'id'>, kind: WebhookKind): string {
  return `${base}/webhooks/${connection.kind}/${connection.id}/${kind}`;
}

export function lineWebhooks(base: string, connection: Pick<CarrierConnection, 'kind' | 'id'>): LineWebhooks {
  return {
    voice: connectionWebhookUrl(base, connection, 'voice'),
    voiceStatus: connectionWebhookUrl(base, connection, 'voice/status'),
    messages: connectionWebhookUrl(base, connection, 'messages'),
  };
}

export const CREDENTIAL_SCHEMAS = {
  twilio: TwilioCredentialsSchema,
  telnyx: TelnyxCredentialsSchema,
} as const;

export class CarrierRegistry {
  readonly #adapters = new Map<string, CarrierAdapter>();
  readonly #connections = new Map<string, CarrierConnection>();
  readonly #network: SimulatorNetwork;
  readonly #key: Buffer;
  readonly #fetch: typeof fetch | undefined;

  constructor(network: SimulatorNetwork, secretKey: Buffer, opts: { fetch?: typeof fetch } = {}) {
    this.#network = network;
    this.#key = secretKey;
    this.#fetch = opts.fetch;
  }

  get simulator(): SimulatorNetwork {
    return this.#network;
  }

  seal(credentials: Record<string, unknown>): string {
    return encryptCredentials(this.#key, credentials);
  }

  open(connection: Pick<CarrierConnection, 'credentials'>): Record<string, unknown> {
    return decryptCredentials(this.#key, connection.credentials);
  }

  /** Builds an adapter for credentials that are not stored yet (to check them first). */
  build(kind: CarrierConnection['kind'], credentials: Record<string, unknown>, apiBaseUrl: string | null): CarrierAdapter {
    const opts = { ...(apiBaseUrl ? { apiBaseUrl } : {}), ...(this.#fetch ? { fetch: this.#fetch } : {}) };
    switch (kind) {
      case 'simulator':
        return new SimulatorCarrier(this.#network, { signingSecret: String((credentials as Partial<SimulatorCredentials>).signingSecret ?? '') });
      case 'twilio':
        return new TwilioCarrier(TwilioCredentialsSchema.parse(credentials), opts);
      case 'telnyx':
        return new TelnyxCarrier(TelnyxCredentialsSchema.parse(credentials), opts);
    }
  }

  adapterFor(connection: CarrierConnection): CarrierAdapter {
    let adapter = this.#adapters.get(connection.id);
    if (!adapter) {
      adapter = this.build(connection.kind, this.open(connection), connection.api_base_url);
      this.#adapters.set(connection.id, adapter);
    }
    return adapter;
  }

  forget(connectionId: string): void {
    this.#adapters.delete(connectionId);
    this.#connections.delete(connectionId);
  }

  /**
   * A connection row, remembered: rows are never updated (only added and deleted), and every
   * webhook and send looks one up.
   */
  async connection(db: Db, id: string): Promise<CarrierConnection | undefined> {
    const known = this.#connections.get(id);
    if (known) return known;
    const row = await findCarrierConnection(db, id);
    if (row) this.#connections.set(id, row);
    return row;
  }

  /** The simulator has no console: at start, point its numbers at this server's webhooks. */
  async routeSimulatorLine(base: string, connection: CarrierConnection, line: Line): Promise<void> {
    if (connection.kind !== 'simulator') return;
    await this.adapterFor(connection).configureNumber(line.number, lineWebhooks(base, connection));
  }
}
