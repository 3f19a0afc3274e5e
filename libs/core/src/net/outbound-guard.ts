import { Inject, Injectable, Module, Optional } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../config/config';
import {
  checkOutboundUrl,
  OutboundRefusedError,
  type OutboundAllow,
  type OutboundPolicyOptions,
  type Resolver,
} from './address-policy';
import { outsideCallers, requestFetch, sharedDispatcher, type Fetch } from './request-fetch';

/** Optional providers (tests): an allow-predicate and a resolver for the outbound policy. */
export const OUTBOUND_ALLOW = Symbol('OUTBOUND_ALLOW');
export const OUTBOUND_RESOLVER = Symbol('OUTBOUND_RESOLVER');

export type GuardedFetch = (url: string | URL, init?: RequestInit) => Promise<Response>;

const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * A fetch that refuses URLs the policy refuses, checking the host's addresses right before each request
 * (DNS may have changed since registration) and every hop of a redirect it is asked to follow, which it
 * follows itself with `redirect: 'manual'`. Credentials do not follow a redirect to another origin.
 * Requests go through undici's `request` (`requestFetch`), on the process's pool that hands redirects
 * back, unless `fetchOf` is given.
 */
export function guardedFetch(
  options: OutboundPolicyOptions,
  fetchOf: Fetch = requestFetch(sharedDispatcher('manual'), 'manual'),
): GuardedFetch {
  // Every request, each redirect hop included, leaves outside the caller's async context.
  const base = outsideCallers(fetchOf);
  return async (input, init = {}) => {
    let url = new URL(input);
    await checkOutboundUrl(url, options);
    if (init.redirect === 'manual' || init.redirect === 'error') return base(url, init);
    let current: RequestInit = { ...init, redirect: 'manual' };
    for (let hop = 0; ; hop++) {
      const response = await base(url, current);
      const location = response.headers.get('location');
      if (!REDIRECTS.has(response.status) || !location) return response;
      await response.body?.cancel().catch(() => undefined);
      if (hop === MAX_REDIRECTS) throw new OutboundRefusedError(url.hostname, 'too many redirects');
      const next = new URL(location, url);
      await checkOutboundUrl(next, options);
      current = nextRequest(current, response.status, url.origin !== next.origin);
      url = next;
    }
  };
}

function nextRequest(init: RequestInit, status: number, crossOrigin: boolean): RequestInit {
  const method = (init.method ?? 'GET').toUpperCase();
  const headers = new Headers(init.headers);
  let next: RequestInit = { ...init, headers };
  // As fetch does: 303, and 301/302 after a POST, become a GET without a body.
  if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
    next = { ...next, method: method === 'HEAD' ? 'HEAD' : 'GET', body: undefined };
    headers.delete('content-type');
    headers.delete('content-length');
  }
  if (crossOrigin) {
    headers.delete('authorization');
    headers.delete('cookie');
    headers.delete('proxy-authorization');
  }
  return next;
}

/** The outbound policy of the app: MCP servers and their OAuth servers are reached only through it. */
@Injectable()
export class OutboundGuard {
  private readonly options: OutboundPolicyOptions;
  readonly fetch: GuardedFetch;

  constructor(
    config: ConfigService<AppConfig, true>,
    @Optional() @Inject(OUTBOUND_ALLOW) allow?: OutboundAllow,
    @Optional() @Inject(OUTBOUND_RESOLVER) resolve?: Resolver,
  ) {
    this.options = { allowPrivate: config.get('mcp', { infer: true }).allowPrivateNetworks, allow, resolve };
    this.fetch = guardedFetch(this.options);
  }

  /** Throws OutboundRefusedError when `url` may not be reached. */
  check(url: string | URL): Promise<void> {
    return checkOutboundUrl(url, this.options);
  }
}

@Module({ providers: [OutboundGuard], exports: [OutboundGuard] })
export class OutboundGuardModule {}
