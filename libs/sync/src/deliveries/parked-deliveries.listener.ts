import { Injectable, OnModuleInit } from '@nestjs/common';
import { Clock } from '@app/common';
import { BaaChangeListeners, type BaaChange } from '@app/vendors';
import { DeliveryQueue } from './delivery-queue';

/**
 * After a BAA change commits with the BAA in effect (a renewal, an amendment), asks for that
 * vendor's parked deliveries to be resumed. Registered in every process (the API records BAA
 * changes); the resume itself runs on the worker.
 */
@Injectable()
export class ParkedDeliveriesListener implements OnModuleInit {
  constructor(
    private readonly listeners: BaaChangeListeners,
    private readonly queue: DeliveryQueue,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.listeners.register((change) => this.baaChanged(change));
  }

  async baaChanged(change: BaaChange): Promise<void> {
    if (change.inEffect) await this.queue.resumeParked(change.vendorId, this.clock.nowMs());
  }
}
