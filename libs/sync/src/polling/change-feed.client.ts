import { existsSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import type { Socket } from 'node:net';
import { rootCertificates } from 'node:tls';
import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '@app/common';
import { systemResolveHost } from '../subscriptions/host-resolver';
import { publicOnlyLookup, WebhookAddressRefused } from '../subscriptions/public-only-lookup';
import { checkSubscriptionUrl, type AddressPolicy } from '../subscriptions/subscription-url';
import { feedAddressPolicy, parseFeedPage, type FeedPage } from './source-rules';

const TIMEOUT_MS = 30_000;
/** 1,000 full member changes fit well within this; a larger answer is cut off, never buffered. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** Why a page could not be read: a code for the source's status (never the feed's own words). */
export class FeedUnavailable extends Error {
  constructor(readonly reason: string) {
    super(`The change feed could not be read (${reason}).`);
  }
}

/**
 * Reads a page of a source's change feed with the SafeWebhookClient's address rule: https only,
 * every address of the host checked in the socket's lookup and the peer checked again once
 * connected, no redirects. Outside production the rule also admits loopback (feedAddressPolicy)
 * and our own dev certificate is trusted besides the public roots, so the local sim can be polled.
 */
@Injectable()
export class ChangeFeedClient implements OnModuleDestroy {
  private readonly agent: Agent;
  private readonly allow: AddressPolicy;

  constructor(config: AppConfig) {
    this.allow = feedAddressPolicy(config.env);
    const devCa =
      config.env !== 'production' && existsSync(config.tls.certFile)
        ? [readFileSync(config.tls.certFile, 'utf8')]
        : [];
    this.agent = new Agent({
      keepAlive: true,
      maxSockets: 4,
      minVersion: 'TLSv1.2',
      lookup: publicOnlyLookup(systemResolveHost, this.allow),
      ca: [...rootCertificates, ...devCa],
    });
  }

  async page(url: string, token: string): Promise<FeedPage> {
    const check = checkSubscriptionUrl(url, this.allow);
    if (!check.ok) throw new FeedUnavailable(check.reason);
    const { status, body } = await this.get(check.href, token);
    if (status !== 200) throw new FeedUnavailable(`status_${status}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      throw new FeedUnavailable('malformed_page');
    }
    const page = parseFeedPage(parsed);
    if (!page) throw new FeedUnavailable('malformed_page');
    return page;
  }

  private get(href: string, token: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request(href, {
        method: 'GET',
        agent: this.agent,
        headers: { accept: 'application/json', authorization: `Bearer ${token}` },
      });
      const timer = setTimeout(() => req.destroy(new FeedUnavailable('timeout')), TIMEOUT_MS);
      req.on('socket', (socket: Socket) => {
        const verifyPeer = () => {
          if (!socket.remoteAddress || !this.allow(socket.remoteAddress))
            req.destroy(new WebhookAddressRefused());
        };
        if (socket.connecting) socket.once('connect', verifyPeer);
        else verifyPeer();
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) return req.destroy(new FeedUnavailable('page_too_large'));
          chunks.push(chunk);
        });
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (error) => {
          clearTimeout(timer);
          reject(asUnavailable(error));
        });
      });
      req.on('error', (error) => {
        clearTimeout(timer);
        reject(asUnavailable(error));
      });
      req.end();
    });
  }

  onModuleDestroy(): void {
    this.agent.destroy();
  }
}

function asUnavailable(error: Error & { code?: unknown }): FeedUnavailable {
  if (error instanceof FeedUnavailable) return error;
  if (error instanceof WebhookAddressRefused) return new FeedUnavailable('non_public_address');
  const code = typeof error.code === 'string' ? error.code.slice(0, 40).toLowerCase() : 'connection';
  return new FeedUnavailable(code);
}
