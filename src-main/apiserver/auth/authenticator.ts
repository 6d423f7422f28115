import type { ServiceAccountTokens } from './serviceAccountTokens.js';
import { bearerToken, type TokenAuthenticator, type UserInfo } from './tokens.js';

// kube-apiserver's union of token authenticators: the static tokens (admin, components, nodes)
// first, then service account JWTs. The first that recognises the token decides.

export class RequestAuthenticator {
  constructor(
    private readonly tokens: TokenAuthenticator,
    private readonly serviceAccounts?: ServiceAccountTokens,
  ) {}

  async authenticate(authorization: string | undefined): Promise<UserInfo | null> {
    const user = this.tokens.authenticate(authorization);
    if (user || !this.serviceAccounts) return user;
    const token = bearerToken(authorization);
    return token ? this.serviceAccounts.authenticate(token) : null;
  }
}
