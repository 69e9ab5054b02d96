import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { TalliedCounter } from './tallied-counter.js';

/**
 * The server's Prometheus metrics, in a registry of its own (not prom-client's global one) so
 * that several servers in one process, as in tests, never clash.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly connections: Gauge;
  readonly framesReceived: TalliedCounter;
  readonly framesSent: TalliedCounter;
  readonly messagesPublished: Counter;
  readonly messagesDelivered: TalliedCounter;
  readonly errors: Counter<'code'>;
  readonly disconnects: Counter<'reason'>;
  readonly busSubscriptions: Gauge;
  readonly busResumes: Counter<'result'>;
  readonly upgradesRefused: Counter<'reason'>;
  readonly forbidden: Counter<'action'>;
  readonly apiPublishes: Counter<'result'>;
  readonly refreshes: Counter<'result'>;
  readonly presenceChannels: Gauge;
  readonly presencePublished: Counter<'type'>;
  readonly presenceIgnored: Counter;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.connections = new Gauge({ name: 'realtime_connections', help: 'Open WebSocket connections.', registers });
    this.framesReceived = new TalliedCounter({ name: 'realtime_frames_received_total', help: 'WebSocket frames received from clients.', registers });
    this.framesSent = new TalliedCounter({ name: 'realtime_frames_sent_total', help: 'WebSocket frames sent to clients.', registers });
    this.messagesPublished = new Counter({
      name: 'realtime_messages_published_total',
      help: 'Client publishes the bus accepted.',
      registers,
    });
    this.messagesDelivered = new TalliedCounter({
      name: 'realtime_messages_delivered_total',
      help: 'Message frames sent to clients (one per message per subscribed client).',
      registers,
    });
    this.errors = new Counter({
      name: 'realtime_errors_total',
      help: 'Error frames sent to clients, by protocol error code.',
      labelNames: ['code'],
      registers,
    });
    this.disconnects = new Counter({
      name: 'realtime_disconnects_total',
      help: 'Connections the server ended, by reason (send_buffer_full, heartbeat_timeout, shutdown, token_expired, publish_flood).',
      labelNames: ['reason'],
      registers,
    });
    this.busSubscriptions = new Gauge({
      name: 'realtime_bus_subscriptions',
      help: 'Bus subscriptions held by this instance (shared per channel, plus replays in progress).',
      registers,
    });
    this.busResumes = new Counter({
      name: 'realtime_bus_resumes_total',
      help: 'Shared channel subscriptions the bus ended for falling behind (position_expired) and the hub resumed, by result: exact (no gap), truncated (messages lost; the clients were told to resume with since) or failed (the clients were told, and resubscribe).',
      labelNames: ['result'],
      registers,
    });
    this.upgradesRefused = new Counter({
      name: 'realtime_upgrades_refused_total',
      help: 'WebSocket upgrades refused, by reason: a token reason answered 401 (missing, expired, ...), origin_not_allowed (403) or too_many_connections (503).',
      labelNames: ['reason'],
      registers,
    });
    this.forbidden = new Counter({
      name: 'realtime_forbidden_total',
      help: 'Subscribes, publishes and presence requests refused because the token does not grant them, by action.',
      labelNames: ['action'],
      registers,
    });
    this.refreshes = new Counter({
      name: 'realtime_token_refreshes_total',
      help: 'refresh frames answered, by result (ok, invalid_token, sub_mismatch).',
      labelNames: ['result'],
      registers,
    });
    this.apiPublishes = new Counter({
      name: 'realtime_api_publishes_total',
      help: 'Calls to POST /api/publish, by result: ok, or the error code of the answer (unauthorized, invalid_channel, ...).',
      labelNames: ['result'],
      registers,
    });
    this.presenceChannels = new Gauge({
      name: 'realtime_presence_channels',
      help: 'Channels whose presence this instance follows (a bus subscription on presence.<channel> each).',
      registers,
    });
    this.presencePublished = new Counter({
      name: 'realtime_presence_messages_published_total',
      help: 'Presence messages this instance published, by type (join, leave, state, sync, alive, bye).',
      labelNames: ['type'],
      registers,
    });
    this.presenceIgnored = new Counter({
      name: 'realtime_presence_messages_ignored_total',
      help: 'Presence messages from the bus that were not valid and were ignored (each is logged, at most one warn per 10 s).',
      registers,
    });
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }
}
