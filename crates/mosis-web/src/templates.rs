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
    "macros.html",
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
    "pages/setup.html",
    "pages/tokens.html",
    "pages/upload.html",
    "pages/version.html",
    "partials/audit_table.html",
    "partials/error.html",
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
        let mut tera = tera::Tera::default();
        tera.add_raw_templates(TEMPLATES.iter().copied())
            .map_err(|e| anyhow::anyhow!("loading templates: {}", chain(&e)))?;
        tera.autoescape_on(vec![".html"]);
        Ok(Self {
            tera,
            assets: AssetUrls {
                css: versioned("mosis.css"),
                app: versioned("app.js"),
                htmx: versioned("htmx-2.0.11.min.js"),
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
}
