//! The data directory of SPEC §1, opened: databases migrated, the portal's own keys
//! loaded (created on first start). The blob store is the server's alone (opening it
//! sweeps temp files, which would break a running server's uploads), so admin commands,
//! which may run beside the server, never open it.

use anyhow::Context as _;
use mosis_domain::{PublicKey, SigningKey};
use mosis_storage::{SqlitePortal, SqliteTelemetry};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The portal's Ed25519 keys, under `{data}/keys/` (0600).
#[derive(Debug)]
pub struct PortalKeys {
    /// Signs the list of online keys; devices ship its public half as their trust root.
    pub root: SigningKey,
    /// Signs release statements and the index; rotatable under the root.
    pub online: SigningKey,
    /// Signs browser session tokens (PASETO v4.public).
    pub session: SigningKey,
}

impl PortalKeys {
    /// Loads the keys from `dir`, creating each missing one (the directory 0700).
    pub fn load_or_create(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .with_context(|| format!("restricting {}", dir.display()))?;
        }
        Ok(Self {
            root: key(dir, "root")?,
            online: key(dir, "online")?,
            session: key(dir, "session")?,
        })
    }

    /// The root public key's file text (`mosis-public-key-v1 ed25519 …`): the trust root
    /// a device needs.
    pub fn trust_root(&self) -> String {
        self.root.public_key().to_file_text()
    }
}

fn key(dir: &Path, name: &str) -> anyhow::Result<SigningKey> {
    let path = dir.join(format!("{name}.key"));
    if path.exists() {
        let key = SigningKey::read_file(&path)?;
        let public = std::fs::read_to_string(dir.join(format!("{name}.key.pub")))
            .ok()
            .and_then(|text| PublicKey::from_file_text(&text).ok());
        if public.is_some_and(|p| p != key.public_key()) {
            anyhow::bail!(
                "{}.pub does not belong to {}",
                path.display(),
                path.display()
            );
        }
        Ok(key)
    } else {
        Ok(mosis_domain::write_new_key_pair(&path)?)
    }
}

/// Everything the server and the admin commands work on.
#[derive(Debug)]
pub struct Portal {
    /// The data directory.
    pub data: PathBuf,
    /// `portal.db`.
    pub store: Arc<SqlitePortal>,
    /// `telemetry.db`.
    pub telemetry: Arc<SqliteTelemetry>,
    /// `keys/`.
    pub keys: PortalKeys,
}

impl Portal {
    /// Opens (creating on first run) the data directory's layout, keys and databases.
    /// Safe while a server runs on the same directory.
    pub fn open(data: &Path) -> anyhow::Result<Self> {
        for dir in ["packages", "backups", "keys"] {
            let path = data.join(dir);
            std::fs::create_dir_all(&path)
                .with_context(|| format!("creating {}", path.display()))?;
        }
        let keys = PortalKeys::load_or_create(&data.join("keys"))?;
        let store = SqlitePortal::open(&data.join("portal.db"))
            .with_context(|| format!("opening {}", data.join("portal.db").display()))?;
        let telemetry = SqliteTelemetry::open(&data.join("telemetry.db"))
            .with_context(|| format!("opening {}", data.join("telemetry.db").display()))?;
        Ok(Self {
            data: data.to_owned(),
            store: Arc::new(store),
            telemetry: Arc::new(telemetry),
            keys,
        })
    }
}
