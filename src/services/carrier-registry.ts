// Turns a stored carrier connection into its adapter, and tells each carrier where a line's
// webhooks are. Adapters are cached per connection: they hold no per-request state.
import type { CarrierAdapter, WebhookKind } from '../carriers/carrier.ts';
import type { SimulatorNetwork } from '../carriers/simulator/network.ts';
import { SimulatorCarrier } from '../carriers/simulator/simulator-carrier.ts';
import type { CarrierConnection, Line } from '../store/schema.ts';

export interface SimulatorCredentials {
  signingSecret: string;
}

export function lineWebhookUrl(base: string, connection: Pick<CarrierConnection, 'kind' | 'id'>, kind: WebhookKind | 'voice/result'): string {
  return `${base}/webhooks/${connection.kind}/${connection.id}/${kind}`;
}

export class CarrierRegistry {
  readonly #adapters = new Map<string, CarrierAdapter>();
  readonly #network: SimulatorNetwork;

  constructor(network: SimulatorNetwork) {
    this.#network = network;
  }

  get simulator(): SimulatorNetwork {
    return this.#network;
  }

  adapterFor(connection: CarrierConnection): CarrierAdapter {
    let adapter = this.#adapters.get(connection.id);
    if (adapter) return adapter;
    switch (connection.kind) {
      case 'simulator': {
        const creds = JSON.parse(connection.credentials) as SimulatorCredentials;
        adapter = new SimulatorCarrier(this.#network, { signingSecret: creds.signingSecret });
        break;
      }
      default:
        throw new Error(`carrier kind "${connection.kind}" is not supported yet`);
    }
    this.#adapters.set(connection.id, adapter);
    return adapter;
  }

  /** Points the carrier's number at this line's webhooks (the simulator's equivalent of a console setting). */
  routeLine(base: string, connection: CarrierConnection, line: Line): void {
    if (connection.kind !== 'simulator') return;
    const creds = JSON.parse(connection.credentials) as SimulatorCredentials;
    this.#network.configureNumber(line.number, {
      voiceUrl: lineWebhookUrl(base, connection, 'voice'),
      messagesUrl: lineWebhookUrl(base, connection, 'messages'),
      signingSecret: creds.signingSecret,
    });
  }
}
