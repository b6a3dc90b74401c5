//! The data directory of SPEC §1, opened: databases migrated, the portal's own keys
//! loaded (created on first start). The blob store is the server's alone (opening it
//! sweeps temp files, which would break a running server's uploads), so admin commands,
//! which may run beside the server, never open it.

use anyhow::Context as _;
use mosis_domain::{DocKind, KeyId, OnlineKeys, PublicKey, Signed, SigningKey, verify_online_keys};
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
    /// The online keys endorsed by the root key (`keys/online-keys.json`): every online
    /// key ever used, so statements signed before a rotation still verify.
    pub online_keys: Signed,
}

/// The root-signed list of online keys, beside the keys.
const ONLINE_KEYS_FILE: &str = "online-keys.json";

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
        let root = key(dir, "root")?;
        let online = key(dir, "online")?;
        let mut endorsed = endorsed_keys(dir, &root)?;
        let online_keys = if endorsed.contains(&online.public_key()) {
            read_online_keys(dir)?
        } else {
            endorsed.push(online.public_key());
            write_online_keys(dir, &root, &endorsed)?
        };
        Ok(Self {
            root,
            online,
            session: key(dir, "session")?,
            online_keys,
        })
    }

    /// Rotates the online key of these keys (loaded from `dir`): a new key joins the root-signed list (the old ones stay,
    /// so what they signed still verifies on devices) and becomes `online.key`. Returns
    /// (old id, new id). A running server signs with the new key after a restart; until
    /// then the old key, still endorsed, keeps working.
    pub fn rotate_online(&self, dir: &Path) -> anyhow::Result<(KeyId, KeyId)> {
        let next_path = dir.join("online.key.next");
        for leftover in [next_path.clone(), dir.join("online.key.next.pub")] {
            if leftover.exists() {
                std::fs::remove_file(&leftover)
                    .with_context(|| format!("removing {}", leftover.display()))?;
            }
        }
        let next = mosis_domain::write_new_key_pair(&next_path)?;
        let mut endorsed = endorsed_keys(dir, &self.root)?;
        endorsed.push(next.public_key());
        write_online_keys(dir, &self.root, &endorsed)?;
        for (from, to) in [
            ("online.key.next", "online.key"),
            ("online.key.next.pub", "online.key.pub"),
        ] {
            std::fs::rename(dir.join(from), dir.join(to))
                .with_context(|| format!("installing the new online key as {to}"))?;
        }
        Ok((self.online.key_id(), next.key_id()))
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

/// The keys the stored list endorses (none when there is no list yet). A list that does
/// not verify against the root key stops the start: someone changed the key files.
fn endorsed_keys(dir: &Path, root: &SigningKey) -> anyhow::Result<Vec<PublicKey>> {
    if !dir.join(ONLINE_KEYS_FILE).exists() {
        return Ok(Vec::new());
    }
    let list = read_online_keys(dir)?;
    let keys = verify_online_keys(&list, &root.public_key()).with_context(|| {
        format!(
            "{} does not verify against the root key",
            dir.join(ONLINE_KEYS_FILE).display()
        )
    })?;
    Ok(keys.public_keys()?)
}

fn read_online_keys(dir: &Path) -> anyhow::Result<Signed> {
    let path = dir.join(ONLINE_KEYS_FILE);
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    Signed::parse(&bytes).with_context(|| format!("reading {}", path.display()))
}

/// Signs a list of `keys` with the root key and replaces the file atomically.
fn write_online_keys(dir: &Path, root: &SigningKey, keys: &[PublicKey]) -> anyhow::Result<Signed> {
    let issued_at = mosis_storage::Clock::now(&mosis_storage::SystemClock);
    let signed = Signed::sign(DocKind::OnlineKeys, &OnlineKeys::new(keys, issued_at), root);
    let path = dir.join(ONLINE_KEYS_FILE);
    let mut temp = tempfile::NamedTempFile::new_in(dir).context("creating the online key list")?;
    std::io::Write::write_all(&mut temp, signed.to_json_pretty().as_bytes())
        .and_then(|()| temp.as_file().sync_all())
        .context("writing the online key list")?;
    temp.persist(&path)
        .with_context(|| format!("replacing {}", path.display()))?;
    Ok(signed)
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
