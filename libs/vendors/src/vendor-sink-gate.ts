import { Injectable } from '@nestjs/common';
import type { Sink, SinkGate } from '@app/audit';
import { VendorsService } from './vendors.service';

/** Audit's sink gate answered by the registry: the configured vendor's BAA in effect today. */
@Injectable()
export class VendorSinkGate implements SinkGate {
  constructor(private readonly vendors: VendorsService) {}

  inEffect(sink: Sink): Promise<boolean> {
    return this.vendors.sinkInEffect(sink);
  }
}
