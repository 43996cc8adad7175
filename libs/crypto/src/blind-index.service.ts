import { createHmac } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { SystemSecretsService } from './system-secrets.service';

/**
 * Blind indexes for exact-match lookups on encrypted fields: HMAC-SHA-256 under a key of its own
 * (never the data or key-encryption keys), over the field name and a normalized value.
 */
@Injectable()
export class BlindIndexService {
  constructor(private readonly secrets: SystemSecretsService) {}

  async compute(field: string, normalizedValue: string): Promise<Buffer> {
    const key = await this.secrets.get('blind-index');
    return createHmac('sha256', key).update(field).update('\u0000').update(normalizedValue).digest();
  }
}
