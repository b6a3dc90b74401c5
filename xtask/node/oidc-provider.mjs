// A real OpenID Connect provider (npm `oidc-provider`) for the sign-in tests, on
// 127.0.0.1 only. Usage: node oidc-provider.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI
//
// Any login name signs in as that subject (dev interactions, password ignored). Two
// subjects make the provider send a validly signed but wrong ID token, so the tests can
// prove the portal checks it: `bad-nonce` (another nonce) and `other-audience` (issued
// to another client).
import Provider from "oidc-provider";
import * as jose from "jose";

const [port, clientId, clientSecret, redirectUri] = process.argv.slice(2);
if (!redirectUri) {
  console.error("usage: node oidc-provider.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI");
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;

const { privateKey } = await jose.generateKeyPair("RS256", { extractable: true });
const jwk = { ...(await jose.exportJWK(privateKey)), kid: "test-key", alg: "RS256", use: "sig" };

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    response_types: ["code"],
    grant_types: ["authorization_code"],
  }],
  jwks: { keys: [jwk] },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["preferred_username"] },
  conformIdTokenClaims: false,
  async findAccount(_ctx, sub) {
    return {
      accountId: sub,
      async claims() {
        return { sub, email: `${sub}@example.test`, email_verified: true, preferred_username: sub };
      },
    };
  },
});
provider.proxy = false;

// The tampering subjects: rewrite the ID token in the token endpoint's answer and sign
// it again with the provider's own key, so only the claim is wrong.
provider.use(async (ctx, next) => {
  await next();
  if (ctx.path !== "/token" || ctx.status !== 200 || !ctx.body || !ctx.body.id_token) { return; }
  const claims = jose.decodeJwt(ctx.body.id_token);
  if (claims.sub === "bad-nonce") { claims.nonce = "forged-nonce"; }
  else if (claims.sub === "other-audience") { claims.aud = "someone-else"; }
  else { return; }
  ctx.body.id_token = await new jose.SignJWT(claims)
    .setProtectedHeader({ alg: "RS256", kid: "test-key", typ: "JWT" })
    .sign(privateKey);
});

provider.listen(Number(port), "127.0.0.1", () => {
  console.log(`oidc-provider ready at ${issuer}`);
});
