//! Where `mosis login` keeps the server and token: `$XDG_CONFIG_HOME/mosis/credentials.json`
//! (else `~/.config/mosis/…`), mode 0600, replaced atomically.

use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use std::io::Write as _;
use std::path::PathBuf;

/// What `mosis login` stored.
#[derive(Serialize, Deserialize)]
pub struct Credentials {
    /// The portal's base URL.
    pub server: String,
    /// The API token for it.
    pub token: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}, token hidden)", self.server)
    }
}

/// The credentials file's path.
pub fn path() -> anyhow::Result<PathBuf> {
    let base = match std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(
            std::env::var_os("HOME").context("neither XDG_CONFIG_HOME nor HOME is set")?,
        )
        .join(".config"),
    };
    Ok(base.join("mosis").join("credentials.json"))
}

/// The stored credentials, if `mosis login` ran.
pub fn load() -> anyhow::Result<Option<Credentials>> {
    let path = path()?;
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .with_context(|| format!("{} is damaged: run `mosis login` again", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// Stores `credentials` (0600, written to a temp file and renamed).
pub fn save(credentials: &Credentials) -> anyhow::Result<PathBuf> {
    let path = path()?;
    let dir = path
        .parent()
        .context("the credentials path has no folder")?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut temp = tempfile::Builder::new()
        .prefix(".credentials-")
        .tempfile_in(dir)
        .with_context(|| format!("writing in {}", dir.display()))?;
    // tempfile creates the file 0600 on Unix; set it anyway, so the rule is visible here.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        temp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    serde_json::to_writer_pretty(&mut temp, credentials)?;
    temp.write_all(b"\n")?;
    temp.as_file().sync_all()?;
    temp.persist(&path)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// Removes the stored credentials; whether there were any.
pub fn remove() -> anyhow::Result<bool> {
    let path = path()?;
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e).with_context(|| format!("removing {}", path.display())),
    }
}
