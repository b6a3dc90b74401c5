//! The real `mosis` binary, offline and against a real portal server.
#![expect(
    clippy::unwrap_used,
    reason = "tests fail loudly on any unexpected error"
)]

mod local;
mod remote;

use assert_cmd::Command;

/// The `mosis` binary with no ambient configuration: no key, server, token or colour
/// settings from the environment, and a config folder of the test's choosing.
pub fn mosis() -> Command {
    let mut cmd = Command::cargo_bin("mosis").unwrap();
    for var in [
        "MOSIS_KEY",
        "MOSIS_SERVER",
        "MOSIS_TOKEN",
        "NO_COLOR",
        "XDG_CONFIG_HOME",
    ] {
        cmd.env_remove(var);
    }
    cmd
}
