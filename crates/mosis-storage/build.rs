//! Embeds `migrations/{portal,telemetry}/*.sql` (sorted by name) into the crate at build time.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
    let mut out = String::new();
    for db in ["portal", "telemetry"] {
        let dir = root.join(db);
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "sql"))
            .collect();
        files.sort();
        let _ = writeln!(out, "/// The `{db}` migrations, in order.");
        let _ = writeln!(out, "pub const {}: &[Migration] = &[", db.to_uppercase());
        for file in files {
            println!("cargo:rerun-if-changed={}", file.display());
            let name = file
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_owned();
            let _ = writeln!(
                out,
                "    Migration {{ name: {name:?}, sql: include_str!({:?}) }},",
                file.display().to_string()
            );
        }
        let _ = writeln!(out, "];");
    }
    let target = Path::new(&std::env::var("OUT_DIR").unwrap_or_default()).join("migrations.rs");
    std::fs::write(&target, out).unwrap_or_else(|e| panic!("writing {}: {e}", target.display()));
}
