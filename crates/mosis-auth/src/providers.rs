//! Sign-in providers: any OpenID Connect provider by issuer URL (Google is a preset of
//! it), and GitHub through OAuth2 plus its user API. Each turns a browser round trip into
//! a verified [`Identity`]; [`crate::SignIn`] keeps the round trip's secrets server-side.

use crate::error::AuthError;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, TokenResponse as _,
};
use serde::Deserialize;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use url::Url;

/// How long a provider's discovery document (and its keys) is reused.
const METADATA_TTL: Duration = Duration::from_secs(3600);
/// Every request to a provider gives up after this.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(15);
/// Google's issuer, for the `google` preset.
const GOOGLE_ISSUER: &str = "https://accounts.google.com";

/// What kind of provider a configured entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// Any OpenID Connect provider, by `issuer`.
    Oidc,
    /// Google (OpenID Connect with Google's issuer).
    Google,
    /// GitHub (OAuth2 and the user API).
    Github,
}

/// One `[[providers]]` entry of the config file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderSettings {
    /// A short id used in URLs and stored with each identity (`github`, `keycloak`); it
    /// must not change once accounts use it.
    pub id: String,
    /// `oidc`, `google` or `github`.
    pub kind: ProviderKind,
    /// The button's label; default from the kind or id.
    pub name: Option<String>,
    /// The issuer URL (`oidc` only; discovery reads `{issuer}/.well-known/openid-configuration`).
    pub issuer: Option<String>,
    /// The OAuth client id.
    pub client_id: String,
    /// The client secret, from this environment variable…
    pub client_secret_env: Option<String>,
    /// …or from this file (its first line).
    pub client_secret_file: Option<PathBuf>,
    /// GitHub's authorize endpoint (default `https://github.com/login/oauth/authorize`).
    pub authorize_url: Option<String>,
    /// GitHub's token endpoint (default `https://github.com/login/oauth/access_token`).
    pub token_url: Option<String>,
    /// GitHub's API base (default `https://api.github.com`).
    pub api_url: Option<String>,
}

/// Who signed in, as the provider vouches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The configured provider's id.
    pub provider: String,
    /// The provider's stable subject (never the email).
    pub subject: String,
    /// A user name to propose for a new account.
    pub username: Option<String>,
    /// An email address, when the provider gives a verified one.
    pub email: Option<String>,
}

/// What a callback must match: kept server-side between leaving and coming back.
#[derive(Debug)]
pub struct Authorization {
    /// Where to send the browser.
    pub url: Url,
    /// The `state` parameter (a secret bound to the browser by a cookie).
    pub state: String,
    /// The nonce the ID token must carry (OpenID Connect).
    pub nonce: String,
    /// The PKCE verifier.
    pub pkce_verifier: String,
}

/// A configured provider, ready to use.
#[derive(Debug)]
pub struct Provider {
    /// Its id.
    pub id: String,
    /// Its button label.
    pub name: String,
    /// Its kind.
    pub kind: ProviderKind,
    client_id: String,
    client_secret: Secret,
    endpoints: Endpoints,
}

/// A client secret that never reaches `Debug` or logs.
struct Secret(String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(hidden)")
    }
}

#[derive(Debug)]
enum Endpoints {
    Oidc {
        issuer: IssuerUrl,
        metadata: Mutex<Option<Box<(Instant, CoreProviderMetadata)>>>,
    },
    Github {
        authorize: Url,
        token: Url,
        api: Url,
    },
}

fn invalid(reason: impl Into<String>) -> AuthError {
    AuthError::Invalid {
        reason: reason.into(),
    }
}

fn parse_url(field: &str, id: &str, text: &str) -> Result<Url, AuthError> {
    Url::parse(text).map_err(|e| invalid(format!("provider {id}: {field} `{text}`: {e}")))
}

impl ProviderSettings {
    /// Checks the entry and reads its secret (from the environment or the file).
    pub fn resolve(&self) -> Result<Provider, AuthError> {
        let id = &self.id;
        if id.is_empty()
            || !id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(invalid(format!(
                "provider id `{id}`: use lowercase letters, digits and dashes"
            )));
        }
        let secret = match (&self.client_secret_env, &self.client_secret_file) {
            (Some(var), None) => std::env::var(var).map_err(|_| {
                invalid(format!(
                    "provider {id}: the environment variable {var} (client_secret_env) is not set"
                ))
            })?,
            (None, Some(file)) => std::fs::read_to_string(file)
                .map_err(|e| {
                    invalid(format!(
                        "provider {id}: client_secret_file {}: {e}",
                        file.display()
                    ))
                })?
                .lines()
                .next()
                .unwrap_or_default()
                .trim()
                .to_owned(),
            (None, None) => String::new(),
            (Some(_), Some(_)) => {
                return Err(invalid(format!(
                    "provider {id}: set client_secret_env or client_secret_file, not both"
                )));
            }
        };
        let endpoints = match self.kind {
            ProviderKind::Oidc | ProviderKind::Google => {
                let issuer = match (self.kind, &self.issuer) {
                    (ProviderKind::Google, None) => GOOGLE_ISSUER.to_owned(),
                    (_, Some(issuer)) => issuer.clone(),
                    (_, None) => {
                        return Err(invalid(format!(
                            "provider {id}: an oidc provider needs `issuer`"
                        )));
                    }
                };
                parse_url("issuer", id, &issuer)?;
                Endpoints::Oidc {
                    issuer: IssuerUrl::new(issuer.clone())
                        .map_err(|e| invalid(format!("provider {id}: issuer `{issuer}`: {e}")))?,
                    metadata: Mutex::new(None),
                }
            }
            ProviderKind::Github => Endpoints::Github {
                authorize: parse_url(
                    "authorize_url",
                    id,
                    self.authorize_url
                        .as_deref()
                        .unwrap_or("https://github.com/login/oauth/authorize"),
                )?,
                token: parse_url(
                    "token_url",
                    id,
                    self.token_url
                        .as_deref()
                        .unwrap_or("https://github.com/login/oauth/access_token"),
                )?,
                api: {
                    // A base URL: `join("user")` must append, not replace the last segment.
                    let mut api = parse_url(
                        "api_url",
                        id,
                        self.api_url.as_deref().unwrap_or("https://api.github.com"),
                    )?;
                    if !api.path().ends_with('/') {
                        api.set_path(&format!("{}/", api.path()));
                    }
                    api
                },
            },
        };
        let name = self.name.clone().unwrap_or_else(|| {
            match self.kind {
                ProviderKind::Google => "Google",
                ProviderKind::Github => "GitHub",
                ProviderKind::Oidc => id.as_str(),
            }
            .to_owned()
        });
        Ok(Provider {
            id: id.clone(),
            name,
            kind: self.kind,
            client_id: self.client_id.clone(),
            client_secret: Secret(secret),
            endpoints,
        })
    }
}

/// The HTTP client for providers: no redirects (they would open SSRF), a timeout.
pub(crate) fn http_client() -> Result<reqwest::Client, AuthError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(PROVIDER_TIMEOUT)
        .user_agent(concat!("mosis-portal/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| AuthError::Crypto(format!("building the HTTP client: {e}")))
}

/// A failure talking to the provider or in what it sent: the user is not signed in.
fn refused(provider: &str, what: impl std::fmt::Display) -> AuthError {
    AuthError::unauthenticated(format!("sign-in with {provider} failed: {what}"))
}

impl Provider {
    /// The first leg: where to send the browser, and the secrets the callback must match.
    pub async fn authorize(
        &self,
        http: &reqwest::Client,
        redirect: &Url,
    ) -> Result<Authorization, AuthError> {
        match &self.endpoints {
            Endpoints::Oidc { .. } => {
                let client = self.oidc_client(http, redirect).await?;
                let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
                let (url, state, nonce) = client
                    .authorize_url(
                        CoreAuthenticationFlow::AuthorizationCode,
                        CsrfToken::new_random,
                        Nonce::new_random,
                    )
                    .add_scope(openidconnect::Scope::new("email".into()))
                    .add_scope(openidconnect::Scope::new("profile".into()))
                    .set_pkce_challenge(challenge)
                    .url();
                Ok(Authorization {
                    url,
                    state: state.secret().clone(),
                    nonce: nonce.secret().clone(),
                    pkce_verifier: verifier.secret().clone(),
                })
            }
            Endpoints::Github { authorize, .. } => {
                let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
                let state = crate::token::random_text::<32>()?;
                let mut url = authorize.clone();
                url.query_pairs_mut()
                    .append_pair("client_id", &self.client_id)
                    .append_pair("redirect_uri", redirect.as_str())
                    .append_pair("scope", "read:user user:email")
                    .append_pair("state", &state)
                    .append_pair("code_challenge", challenge.as_str())
                    .append_pair("code_challenge_method", "S256")
                    .append_pair("allow_signup", "false");
                Ok(Authorization {
                    url,
                    state,
                    nonce: String::new(),
                    pkce_verifier: verifier.secret().clone(),
                })
            }
        }
    }

    /// The second leg: exchanges the code (with the PKCE verifier) and verifies who it is:
    /// for OpenID Connect, the ID token's signature against the provider's keys, issuer,
    /// audience, expiry and `nonce`; for GitHub, the user API with the access token.
    pub async fn identify(
        &self,
        http: &reqwest::Client,
        redirect: &Url,
        code: &str,
        pkce_verifier: &str,
        nonce: &str,
    ) -> Result<Identity, AuthError> {
        match &self.endpoints {
            Endpoints::Oidc { .. } => {
                let client = self.oidc_client(http, redirect).await?;
                let response = client
                    .exchange_code(AuthorizationCode::new(code.to_owned()))
                    .map_err(|e| refused(&self.name, e))?
                    .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
                    .request_async(http)
                    .await
                    .map_err(|e| refused(&self.name, format!("the code was not accepted: {e}")))?;
                let id_token = response
                    .id_token()
                    .ok_or_else(|| refused(&self.name, "the provider sent no ID token"))?;
                let claims = id_token
                    .claims(&client.id_token_verifier(), &Nonce::new(nonce.to_owned()))
                    .map_err(|e| refused(&self.name, format!("the ID token is not valid: {e}")))?;
                let email = claims
                    .email()
                    .filter(|_| claims.email_verified() == Some(true))
                    .map(|e| e.as_str().to_owned());
                let username = claims
                    .preferred_username()
                    .map(|u| u.as_str().to_owned())
                    .or_else(|| {
                        email
                            .as_ref()
                            .and_then(|e| e.split('@').next().map(str::to_owned))
                    });
                Ok(Identity {
                    provider: self.id.clone(),
                    subject: claims.subject().as_str().to_owned(),
                    username,
                    email,
                })
            }
            Endpoints::Github { token, api, .. } => {
                self.github_identity(http, token, api, redirect, code, pkce_verifier)
                    .await
            }
        }
    }

    async fn github_identity(
        &self,
        http: &reqwest::Client,
        token_url: &Url,
        api: &Url,
        redirect: &Url,
        code: &str,
        pkce_verifier: &str,
    ) -> Result<Identity, AuthError> {
        #[derive(Deserialize)]
        struct TokenReply {
            access_token: Option<String>,
            error: Option<String>,
            error_description: Option<String>,
        }
        #[derive(Deserialize)]
        struct User {
            id: u64,
            login: String,
            email: Option<String>,
        }
        let reply: TokenReply = http
            .post(token_url.clone())
            .header("Accept", "application/json")
            .form(&[
                ("client_id", self.client_id.as_str()),
                ("client_secret", self.client_secret.0.as_str()),
                ("code", code),
                ("redirect_uri", redirect.as_str()),
                ("code_verifier", pkce_verifier),
            ])
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| refused(&self.name, format!("the token endpoint failed: {e}")))?
            .json()
            .await
            .map_err(|e| refused(&self.name, format!("the token endpoint's answer: {e}")))?;
        let access = match reply {
            TokenReply {
                access_token: Some(token),
                ..
            } => token,
            TokenReply {
                error,
                error_description,
                ..
            } => {
                return Err(refused(
                    &self.name,
                    format!(
                        "the code was not accepted: {}",
                        error_description
                            .or(error)
                            .unwrap_or_else(|| "no access token".into())
                    ),
                ));
            }
        };
        let user_url = api
            .join("user")
            .map_err(|e| refused(&self.name, format!("api_url: {e}")))?;
        let user: User = http
            .get(user_url)
            .bearer_auth(&access)
            .header("Accept", "application/vnd.github+json")
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| refused(&self.name, format!("the user API failed: {e}")))?
            .json()
            .await
            .map_err(|e| refused(&self.name, format!("the user API's answer: {e}")))?;
        Ok(Identity {
            provider: self.id.clone(),
            subject: user.id.to_string(),
            username: Some(user.login),
            // GitHub's public profile email is not a verified claim; keep it only as a hint.
            email: user.email,
        })
    }

    /// The OpenID Connect client, from the (cached) discovery document.
    async fn oidc_client(
        &self,
        http: &reqwest::Client,
        redirect: &Url,
    ) -> Result<
        openidconnect::core::CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        AuthError,
    > {
        let Endpoints::Oidc { issuer, metadata } = &self.endpoints else {
            return Err(AuthError::Crypto("not an OpenID Connect provider".into()));
        };
        let cached = metadata
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .filter(|cached| cached.0.elapsed() < METADATA_TTL)
            .map(|cached| cached.1.clone());
        let document = match cached {
            Some(document) => document,
            None => {
                let document = CoreProviderMetadata::discover_async(issuer.clone(), http)
                    .await
                    .map_err(|e| {
                        refused(
                            &self.name,
                            format!("cannot read the provider's discovery document: {e}"),
                        )
                    })?;
                *metadata
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) =
                    Some(Box::new((Instant::now(), document.clone())));
                document
            }
        };
        let secret = (!self.client_secret.0.is_empty())
            .then(|| ClientSecret::new(self.client_secret.0.clone()));
        Ok(CoreClient::from_provider_metadata(
            document,
            ClientId::new(self.client_id.clone()),
            secret,
        )
        .set_redirect_uri(RedirectUrl::from_url(redirect.clone())))
    }
}
