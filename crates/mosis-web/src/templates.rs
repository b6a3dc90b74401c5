//! The dashboard's templates and static assets, compiled into the binary (one file to
//! deploy). Every template name ends in `.html`, so tera autoescapes all of them,
//! fragments included: app names and descriptions are untrusted input.

use crate::error::ApiError;
use mosis_domain::Sha256;

macro_rules! embedded {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../../templates/", $name)))),*]
    };
}

/// Every template, by its name under `templates/`.
pub const TEMPLATES: &[(&str, &str)] = embedded![
    "base.html",
    "components.html",
    "pages/account.html",
    "pages/admin_audit.html",
    "pages/admin_users.html",
    "pages/app.html",
    "pages/app_new.html",
    "pages/apps.html",
    "pages/device.html",
    "pages/error.html",
    "pages/keys.html",
    "pages/login.html",
    "pages/review.html",
    "pages/review_queue.html",
    "pages/setup.html",
    "pages/tokens.html",
    "pages/upload.html",
    "pages/version.html",
    "partials/audit_table.html",
    "partials/changes.html",
    "partials/error.html",
    "partials/report.html",
    "partials/upload_result.html",
    "partials/version_state.html",
    "partials/versions.html",
];

/// A static file under `assets/`.
#[derive(Debug)]
pub struct Asset {
    /// Its file name (the URL is `/assets/{name}`).
    pub name: &'static str,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its bytes.
    pub bytes: &'static [u8],
}

/// Every asset. htmx carries its version in its name.
pub const ASSETS: &[Asset] = &[
    Asset {
        name: "mosis.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../../assets/mosis.css"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../../assets/app.js"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        bytes: include_bytes!("../../../assets/favicon.svg"),
    },
    Asset {
        name: "htmx-2.0.11.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../../assets/htmx-2.0.11.min.js"),
    },
];

/// One asset by name.
pub fn asset(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

/// The asset URLs pages link, each with a content hash so browsers may cache forever.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AssetUrls {
    /// The stylesheet.
    pub css: String,
    /// The page script.
    pub app: String,
    /// htmx.
    pub htmx: String,
    /// The icon.
    pub icon: String,
}

fn versioned(name: &str) -> String {
    let hash = asset(name).map_or_else(String::new, |a| Sha256::of(a.bytes).to_string());
    format!("/assets/{name}?v={}", &hash[..hash.len().min(12)])
}

/// The loaded templates and asset URLs.
#[derive(Debug)]
pub struct Templates {
    tera: tera::Tera,
    /// The URLs of the assets.
    pub assets: AssetUrls,
}

impl Templates {
    /// Parses every template (an error names the template).
    pub fn load() -> anyhow::Result<Self> {
        let mut tera = tera::Tera::new();
        tera.autoescape_on([".html"]);
        tera.add_raw_templates(TEMPLATES.iter().copied())
            .map_err(|e| anyhow::anyhow!("loading templates: {}", chain(&e)))?;
        Ok(Self {
            tera,
            assets: AssetUrls {
                css: versioned("mosis.css"),
                app: versioned("app.js"),
                htmx: versioned("htmx-2.0.11.min.js"),
                icon: versioned("favicon.svg"),
            },
        })
    }

    /// Renders `name` with `context`.
    pub fn render(&self, name: &str, context: &tera::Context) -> Result<String, ApiError> {
        self.tera
            .render(name, context)
            .map_err(|e| ApiError::internal(format!("rendering {name}: {}", chain(&e))))
    }
}

/// A tera error with its causes (tera puts the useful part in the source chain).
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_under_templates_is_embedded_and_named_html() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../templates");
        let mut on_disk = Vec::new();
        for dir in ["", "pages", "partials"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let path = entry.unwrap().path();
                if path.is_file() {
                    let name = path
                        .strip_prefix(&root)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned();
                    on_disk.push(name);
                }
            }
        }
        on_disk.sort();
        let mut embedded: Vec<String> = TEMPLATES.iter().map(|(n, _)| (*n).to_owned()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded, "templates/ and TEMPLATES differ");
        assert!(
            embedded.iter().all(|n| n.ends_with(".html")),
            "tera autoescapes only .html templates"
        );
    }

    #[test]
    fn every_template_parses() {
        Templates::load().unwrap();
    }

    const EVIL: &str = "<script>alert(1)</script>";

    /// Whether markup has an inline event handler attribute (` onclick=` and the like).
    fn has_event_handler(html: &str) -> bool {
        html.match_indices(" on").any(|(i, _)| {
            let rest = &html[i + 3..];
            let name_len = rest.bytes().take_while(u8::is_ascii_lowercase).count();
            name_len > 0 && rest[name_len..].starts_with('=')
        })
    }

    fn time() -> serde_json::Value {
        serde_json::json!({ "iso": "2026-12-04T10:00:00Z", "absolute": "2026-12-04 10:00:00 UTC", "relative": "1 h ago" })
    }

    fn changes() -> serde_json::Value {
        serde_json::json!({ "against": EVIL, "permissions_added": ["camera"], "permissions_removed": [],
            "sensitive_permissions_added": ["camera"], "name": { "from": EVIL, "to": EVIL },
            "icon_changed": true, "description_changed": false, "min_os_version": null,
            "signing_key": { "from": EVIL, "to": EVIL } })
    }

    fn report() -> serde_json::Value {
        serde_json::json!({ "format": 1, "verdict": "failed", "reviewed_at": 1,
            "checks": [{ "check": "icon", "title": EVIL, "status": "failed", "message": EVIL, "path": EVIL, "code": EVIL }],
            "changes": changes(),
            "auto_approval": { "applied": false, "reasons": [EVIL] } })
    }

    /// The smallest context each template renders with (plus the shared one).
    fn minimal(name: &str) -> serde_json::Value {
        let app =
            serde_json::json!({ "app_id": "com.example.evil", "name": EVIL, "created": time() });
        let version = serde_json::json!({
            "version": "1.0.0", "state": "rejected", "channel": null, "size_text": "1 kB",
            "sha256": "ab", "key_id": "k", "reject_reason": EVIL, "uploaded": time(),
            "updated": time(),
        });
        match name {
            "pages/apps.html" => serde_json::json!({ "apps": [{
                "app_id": "com.example.evil", "name": EVIL, "created": time(),
                "latest_version": "1.0.0", "latest_state": "pending", "latest_at": time() }] }),
            "pages/app.html" | "partials/versions.html" => {
                serde_json::json!({ "app": app, "versions": [version], "attention": [version], "polling": true })
            }
            "pages/app_new.html" => serde_json::json!({ "form": { "app_id": EVIL, "name": EVIL } }),
            "pages/upload.html" => {
                serde_json::json!({ "app": app, "newest": "1.0.0", "max_upload_mb": 1024 })
            }
            "pages/version.html"
            | "partials/version_state.html"
            | "partials/upload_result.html"
            | "partials/report.html" => {
                serde_json::json!({ "app": app, "version": version, "polling": false, "report": report(),
                    "report_at": time(), "manifest": EVIL, "owner_actions": true })
            }
            "partials/changes.html" => serde_json::json!({ "changes": changes() }),
            "pages/review_queue.html" => serde_json::json!({
                "filters": [{ "value": "in_review", "label": "Awaiting review" }],
                "current": "in_review", "current_label": "Awaiting review",
                "items": [{ "app_id": "com.example.evil", "app_name": EVIL, "version": "1.0.0", "uploaded": time(),
                    "failed": 1, "warnings": 2, "has_report": true, "job_error": EVIL, "state": "in_review", "own": true }] }),
            "pages/review.html" => serde_json::json!({
                "app": app, "version": version, "owner_name": EVIL, "job_error": EVIL, "can_retry": true,
                "own": false, "can_decide": true, "reason": EVIL, "live_changes": changes(),
                "report": report(), "report_at": time(),
                "files": [{ "path": EVIL, "size": 1, "sha256": "ab" }], "files_error": null,
                "manifest": EVIL, "auto_approve": "default", "instance_auto": "off" }),
            "pages/keys.html" => serde_json::json!({
                "keys": [{ "key_id": "k", "label": EVIL, "created": time(), "revoked": null }],
                "form": { "public_key": EVIL, "label": "" } }),
            "pages/tokens.html" => serde_json::json!({
                "tokens": [{ "id": 1, "name": EVIL, "prefix": "mosis_x", "scopes": ["read"], "created": time(),
                    "expires": null, "last_used": null, "revoked": false, "expired": false, "active": true }],
                "created": { "name": EVIL, "secret": "mosis_secret" },
                "scope_choices": [{ "value": "read", "description": "d", "checked": true }],
                "form": { "name": EVIL, "app_scope": "", "expires_days": "90" } }),
            "pages/device.html" => serde_json::json!({
                "step": "confirm", "typed": EVIL,
                "auth": { "user_code": "BCDF-GHJK", "client": EVIL, "host": EVIL, "ip": "127.0.0.1",
                    "created": time(), "expires": time() },
                "scope_choices": [] }),
            "pages/account.html" => serde_json::json!({
                "account": { "email": EVIL, "roles": [] }, "identities": [], "sessions": [],
                "entries": [], "older": null }),
            "pages/admin_users.html" => serde_json::json!({ "users": [{
                "id": 1, "name": EVIL, "identities": [], "reviewer": false, "admin": true,
                "disabled": false, "created": time(), "is_you": true }], "providers": [] }),
            "pages/admin_audit.html" | "partials/audit_table.html" => serde_json::json!({
                "entries": [{ "at": time(), "actor": EVIL, "action": "a", "target": EVIL, "detail": EVIL, "ip": "" }],
                "older": 5 }),
            "pages/login.html" => serde_json::json!({ "providers": [{ "id": "x", "name": EVIL }],
                "next": "/apps", "next_encoded": "%2Fapps", "error": EVIL, "detail": EVIL }),
            "pages/setup.html" => {
                serde_json::json!({ "state": "claim", "token": "t", "name": EVIL, "providers": [] })
            }
            "pages/error.html" | "partials/error.html" => serde_json::json!({
                "title": EVIL, "message": EVIL, "problems": [{ "path": EVIL, "message": EVIL }], "back": "/apps" }),
            _ => serde_json::json!({}),
        }
    }

    #[test]
    fn every_page_and_fragment_renders_with_a_minimal_context_and_untrusted_text_stays_inert() {
        let templates = Templates::load().unwrap();
        for (name, _) in TEMPLATES {
            if *name == "base.html" || *name == "components.html" {
                continue;
            }
            let mut ctx = tera::Context::from_serialize(&minimal(name)).unwrap();
            ctx.insert("instance_name", EVIL);
            ctx.insert("base_url", "http://127.0.0.1:8080");
            ctx.insert("assets", &templates.assets);
            ctx.insert("section", "apps");
            ctx.insert("errors", &None::<()>);
            ctx.insert("page_error", &false);
            ctx.insert("csrf", "token");
            ctx.insert(
                "viewer",
                &serde_json::json!({ "name": EVIL, "is_admin": true, "is_reviewer": true }),
            );
            let html = templates
                .render(name, &ctx)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(
                !html.contains("<script>alert"),
                "{name} renders untrusted text raw"
            );
            if name.starts_with("pages/") {
                assert!(
                    html.contains("&lt;script&gt;alert(1)&lt;"),
                    "{name} shows the text, escaped"
                );
                assert!(
                    !html.contains("<script>")
                        && !html.contains(" style=")
                        && !has_event_handler(&html),
                    "{name} has inline script or style"
                );
            }
        }
    }
}
