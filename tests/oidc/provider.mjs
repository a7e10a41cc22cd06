// A real OpenID Connect provider (panva/node-oidc-provider) on loopback, for the tests in this
// folder. It issues RFC 9068 JWT access tokens through the client credentials grant, for the
// resources (RFC 8707) named in its config, and rotates its signing key on command.
//
//   node provider.mjs '<json config>'
//
// config: {"resources": [url, ...], "scope": "space separated scopes",
//          "clients": [{"client_id": ..., "client_secret": ..., "claims": {...extra claims}}],
//          "web_clients": [{"client_id": ..., "client_secret": ..., "redirect_uris": [url, ...]}],
//          "accounts": {"<user id>": {...claims}}}
//
// Web clients sign users in by the authorization code flow, through the provider's development
// login and consent pages (any user id signs in, with that account's claims in the ID token).
//
// stdout, one JSON object a line: {"event": "ready", "issuer": url, "kid": kid} once listening,
// {"event": "jwks"} whenever the key set is served, {"event": "rotated", "kid": kid} after a
// rotation. stdin, one command a line: "rotate" (new signing key first, the old one still
// published), "rotate-drop" (only the new key), or "sync", answered {"event": "synced"} once
// every event before it is written. The process exits when stdin closes.

import { generateKeyPairSync, randomUUID } from 'node:crypto';
import http from 'node:http';
import readline from 'node:readline';

import Provider, { errors } from 'oidc-provider';

const config = JSON.parse(process.argv[2] ?? '{}');
const resources = new Set(config.resources ?? []);
const clientClaims = Object.fromEntries((config.clients ?? []).map((c) => [c.client_id, c.claims ?? {}]));
const clients = (config.clients ?? []).map((c) => ({
  client_id: c.client_id,
  client_secret: c.client_secret,
  grant_types: ['client_credentials'],
  redirect_uris: [],
  response_types: [],
  scope: config.scope,
  token_endpoint_auth_method: 'client_secret_post',
}));

const accounts = config.accounts ?? {};
const webClients = (config.web_clients ?? []).map((c) => ({
  client_id: c.client_id,
  client_secret: c.client_secret,
  grant_types: ['authorization_code'],
  redirect_uris: c.redirect_uris,
  response_types: ['code'],
  scope: 'openid profile roles',
  token_endpoint_auth_method: 'client_secret_basic',
}));

function emit(event) {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

function newSigningKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' };
}

function buildProvider(issuer, keys) {
  const provider = new Provider(issuer, {
    clients: [...clients, ...webClients],
    scopes: ['openid', 'profile', 'roles', ...(config.scope ?? '').split(' ').filter(Boolean)],
    claims: { openid: ['sub'], profile: ['name'], roles: ['realm_access'] },
    // The claims of the scopes asked for go into the ID token itself, which is what the
    // gateway's console reads (OIDC Core §5.4 allows either).
    conformIdTokenClaims: false,
    async findAccount(ctx, id) {
      return { accountId: id, claims: () => ({ sub: id, ...(accounts[id] ?? {}) }) };
    },
    jwks: { keys },
    cookies: { keys: [randomUUID()] },
    features: {
      devInteractions: { enabled: webClients.length > 0 },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        useGrantedResource: () => true,
        getResourceServerInfo(ctx, resourceIndicator) {
          if (!resources.has(resourceIndicator)) {
            throw new errors.InvalidTarget();
          }
          return {
            scope: config.scope,
            audience: resourceIndicator,
            accessTokenTTL: 600,
            accessTokenFormat: 'jwt',
            // The newest key signs; older ones stay published for tokens already issued.
            jwt: { sign: { alg: 'RS256', kid: keys[0].kid } },
          };
        },
      },
    },
    ttl: { ClientCredentials: 600 },
    extraTokenClaims(ctx, token) {
      return clientClaims[token.clientId];
    },
  });
  provider.use(async (ctx, next) => {
    if (ctx.path === '/jwks') {
      emit({ event: 'jwks' });
    }
    await next();
  });
  return provider;
}

let keys = [newSigningKey()];
let handle;
const server = http.createServer((req, res) => handle(req, res));

server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  handle = buildProvider(issuer, keys).callback();
  emit({ event: 'ready', issuer, kid: keys[0].kid });

  const commands = readline.createInterface({ input: process.stdin });
  commands.on('line', (line) => {
    const command = line.trim();
    if (command === 'sync') {
      emit({ event: 'synced' });
      return;
    }
    if (command !== 'rotate' && command !== 'rotate-drop') {
      emit({ event: 'error', message: `unknown command ${command}` });
      return;
    }
    const key = newSigningKey();
    keys = command === 'rotate' ? [key, ...keys] : [key];
    handle = buildProvider(issuer, keys).callback();
    emit({ event: 'rotated', kid: key.kid });
  });
  commands.on('close', () => {
    server.close();
    process.exit(0);
  });
});
