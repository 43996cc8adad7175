/**
 * The `deliveries` queue cannot take jobs now (Redis down, unreachable or too slow): the relay
 * stops, its rows stay unrelayed, and a later pass relays them.
 */
export class DeliveryQueueUnavailable extends Error {
  constructor(readonly reason: 'not_connected' | 'timed_out') {
    super(`the deliveries queue is unavailable (${reason}); outbox rows stay unrelayed`);
    this.name = 'DeliveryQueueUnavailable';
  }
}
