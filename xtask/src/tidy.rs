//! The layering check: crates may depend on each other only downwards (CONVENTIONS.md),
//! the domain crate links no runtime, database or web crate, and the device side links no
//! server crate. Run by `cargo test` (the test below) and by `cargo xtask tidy`.

use anyhow::{Context as _, bail};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Which workspace crates each workspace crate may depend on (normal dependencies).
/// A new crate must be added here, which is the moment to decide its layer.
const ALLOWED: &[(&str, &[&str])] = &[
    ("mosis-domain", &[]),
    ("mosis-storage", &["mosis-domain"]),
    ("mosis-auth", &["mosis-domain", "mosis-storage"]),
    ("mosis-review", &["mosis-domain", "mosis-storage"]),
    ("mosis-telemetry", &["mosis-domain", "mosis-storage"]),
    ("mosis-client", &["mosis-domain"]),
    ("mosis-device", &["mosis-domain", "mosis-client"]),
    (
        "mosis-web",
        &[
            "mosis-domain",
            "mosis-storage",
            "mosis-auth",
            "mosis-review",
            "mosis-telemetry",
            "mosis-client",
        ],
    ),
    ("mosis-cli", &["mosis-domain", "mosis-client"]),
    (
        "app-manager",
        &["mosis-domain", "mosis-client", "mosis-device"],
    ),
    (
        "portal-server",
        &[
            "mosis-domain",
            "mosis-storage",
            "mosis-auth",
            "mosis-review",
            "mosis-telemetry",
            "mosis-web",
        ],
    ),
    ("xtask", &[]),
];

/// External crates a crate must not link, even indirectly.
const FORBIDDEN_ANYWHERE_BELOW: &[(&str, &[&str])] = &[
    (
        "mosis-domain",
        &[
            "tokio",
            "actix-web",
            "actix-rt",
            "hyper",
            "rusqlite",
            "r2d2",
            "reqwest",
            "tera",
        ],
    ),
    ("mosis-client", &["actix-web", "rusqlite", "tera"]),
    ("mosis-device", &["actix-web", "rusqlite", "tera"]),
    (
        "app-manager",
        &[
            "actix-web",
            "rusqlite",
            "tera",
            "mosis-web",
            "mosis-storage",
            "mosis-auth",
            "mosis-review",
            "mosis-telemetry",
        ],
    ),
    (
        "mosis-cli",
        &[
            "actix-web",
            "rusqlite",
            "tera",
            "mosis-web",
            "mosis-storage",
        ],
    ),
];

/// The normal-dependency graph of the workspace, by package name.
#[derive(Debug, Default)]
pub struct Graph {
    /// Names of the workspace's own packages.
    members: BTreeSet<String>,
    /// Each package's direct normal dependencies.
    deps: BTreeMap<String, BTreeSet<String>>,
}

impl Graph {
    /// Reads the graph from `cargo metadata`.
    pub fn load() -> anyhow::Result<Self> {
        let output = crate::cargo()
            .args(["metadata", "--format-version", "1", "--locked"])
            .output()
            .context("running cargo metadata")?;
        if !output.status.success() {
            bail!(
                "cargo metadata failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let meta: Value =
            serde_json::from_slice(&output.stdout).context("parsing cargo metadata")?;
        Self::from_metadata(&meta)
    }

    fn from_metadata(meta: &Value) -> anyhow::Result<Self> {
        let mut names = BTreeMap::new();
        for package in meta["packages"]
            .as_array()
            .context("metadata without packages")?
        {
            names.insert(
                package["id"].as_str().unwrap_or_default().to_owned(),
                package["name"].as_str().unwrap_or_default().to_owned(),
            );
        }
        let name_of = |id: &Value| {
            names
                .get(id.as_str().unwrap_or_default())
                .cloned()
                .unwrap_or_default()
        };
        let mut graph = Graph::default();
        for id in meta["workspace_members"]
            .as_array()
            .context("metadata without members")?
        {
            graph.members.insert(name_of(id));
        }
        for node in meta["resolve"]["nodes"]
            .as_array()
            .context("metadata without resolve")?
        {
            let deps = node["deps"].as_array().into_iter().flatten().filter(|dep| {
                dep["dep_kinds"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|kind| kind["kind"].is_null())
            });
            graph
                .deps
                .entry(name_of(&node["id"]))
                .or_default()
                .extend(deps.map(|d| name_of(&d["pkg"])));
        }
        Ok(graph)
    }

    /// Everything `name` links, directly or not.
    fn closure(&self, name: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut pending = vec![name.to_owned()];
        while let Some(next) = pending.pop() {
            for dep in self.deps.get(&next).into_iter().flatten() {
                if seen.insert(dep.clone()) {
                    pending.push(dep.clone());
                }
            }
        }
        seen
    }
}

/// Fails listing every dependency that breaks the layering.
pub fn check(graph: &Graph) -> anyhow::Result<()> {
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut violations = Vec::new();
    for member in &graph.members {
        let Some(ok) = allowed.get(member.as_str()) else {
            violations.push(format!(
                "{member} is not in xtask/src/tidy.rs ALLOWED: decide its layer there"
            ));
            continue;
        };
        for dep in graph
            .deps
            .get(member)
            .into_iter()
            .flatten()
            .filter(|d| graph.members.contains(*d))
        {
            if !ok.contains(&dep.as_str()) {
                violations.push(format!(
                    "{member} depends on {dep}, which its layer does not allow"
                ));
            }
        }
    }
    for (member, forbidden) in FORBIDDEN_ANYWHERE_BELOW {
        if !graph.members.contains(*member) {
            continue;
        }
        let linked = graph.closure(member);
        for bad in forbidden.iter().filter(|b| linked.contains(**b)) {
            violations.push(format!(
                "{member} links {bad} (directly or through a dependency), which it must never do"
            ));
        }
    }
    if violations.is_empty() {
        Ok(())
    } else {
        bail!("layering violations:\n  {}", violations.join("\n  "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workspace_respects_the_layering() {
        check(&Graph::load().unwrap()).unwrap();
    }

    fn graph(edges: &[(&str, &str)], members: &[&str]) -> Graph {
        let mut g = Graph {
            members: members.iter().map(|m| (*m).to_owned()).collect(),
            ..Graph::default()
        };
        for (from, to) in edges {
            g.deps
                .entry((*from).to_owned())
                .or_default()
                .insert((*to).to_owned());
        }
        g
    }

    #[test]
    fn a_domain_crate_linking_tokio_indirectly_is_caught() {
        let g = graph(
            &[("mosis-domain", "helper"), ("helper", "tokio")],
            &["mosis-domain"],
        );
        let err = check(&g).unwrap_err().to_string();
        assert!(err.contains("mosis-domain links tokio"), "{err}");
    }

    #[test]
    fn an_upward_dependency_is_caught() {
        let g = graph(
            &[("mosis-domain", "mosis-storage")],
            &["mosis-domain", "mosis-storage"],
        );
        let err = check(&g).unwrap_err().to_string();
        assert!(
            err.contains("mosis-domain depends on mosis-storage"),
            "{err}"
        );
    }

    #[test]
    fn the_device_never_links_the_server() {
        let g = graph(
            &[
                ("app-manager", "mosis-client"),
                ("mosis-client", "mosis-web"),
            ],
            &["app-manager", "mosis-client", "mosis-web"],
        );
        let err = check(&g).unwrap_err().to_string();
        assert!(err.contains("mosis-client depends on mosis-web"), "{err}");
        assert!(err.contains("app-manager links mosis-web"), "{err}");
    }

    #[test]
    fn an_unplaced_crate_is_caught() {
        let err = check(&graph(&[], &["mosis-gadgets"]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("mosis-gadgets is not in"), "{err}");
    }

    #[test]
    fn metadata_is_read_with_normal_dependencies_only() {
        let meta = serde_json::json!({
            "packages": [{"id": "a", "name": "mosis-domain"}, {"id": "t", "name": "tokio"}, {"id": "p", "name": "proptest"}],
            "workspace_members": ["a"],
            "resolve": {"nodes": [{"id": "a", "deps": [
                {"pkg": "p", "dep_kinds": [{"kind": "dev"}]},
                {"pkg": "t", "dep_kinds": [{"kind": null}]}
            ]}]}
        });
        let g = Graph::from_metadata(&meta).unwrap();
        assert_eq!(
            g.closure("mosis-domain"),
            BTreeSet::from(["tokio".to_owned()])
        );
    }
}
