import type { OAuthRegisteredClientsStore } from '@modelcontextprotocol/sdk/server/auth/clients.js';
import type { OAuthClientInformationFull } from '@modelcontextprotocol/sdk/shared/auth.js';

export interface PreRegisteredClient {
  clientId: string;
  /** Without one the client is public (token_endpoint_auth_method "none"). */
  clientSecret?: string;
  /** Without them any loopback redirect URI is accepted, the way RFC 8252 treats native apps. */
  redirectUris?: string[];
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

function isLoopbackRedirect(uri: string): boolean {
  try {
    const url = new URL(uri);
    return (url.protocol === 'http:' || url.protocol === 'https:') && LOOPBACK_HOSTS.has(url.hostname);
  } catch {
    return false;
  }
}

export class InMemoryClientsStore implements OAuthRegisteredClientsStore {
  private readonly clients = new Map<string, OAuthClientInformationFull>();
  private readonly anyLoopbackRedirect = new Set<string>();

  constructor(
    preRegistered: PreRegisteredClient[],
    private readonly onRegister: () => void,
  ) {
    for (const c of preRegistered) {
      this.clients.set(c.clientId, {
        client_id: c.clientId,
        client_secret: c.clientSecret,
        redirect_uris: c.redirectUris ?? [],
        token_endpoint_auth_method: c.clientSecret ? 'client_secret_post' : 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      });
      if (!c.redirectUris) this.anyLoopbackRedirect.add(c.clientId);
    }
  }

  getClient(clientId: string): OAuthClientInformationFull | undefined {
    return this.clients.get(clientId);
  }

  registerClient(client: Omit<OAuthClientInformationFull, 'client_id' | 'client_id_issued_at'>) {
    // The SDK's registration handler has already generated client_id; the type only hides it.
    const full = client as OAuthClientInformationFull;
    this.clients.set(full.client_id, full);
    this.onRegister();
    return full;
  }

  /**
   * The SDK's /authorize handler only accepts registered redirect URIs, so a pre-registered client
   * that named none gets the loopback URI it presents added before the handler looks.
   */
  admitRedirect(clientId: string, redirectUri: string): void {
    const client = this.clients.get(clientId);
    if (!client || !this.anyLoopbackRedirect.has(clientId) || !isLoopbackRedirect(redirectUri)) return;
    if (!client.redirect_uris.includes(redirectUri)) client.redirect_uris.push(redirectUri);
  }
}
