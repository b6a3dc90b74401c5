//! The SQLite implementation passes the repository conformance suite.

use mosis_storage::{SqlitePortal, SqliteTelemetry, conformance};
use std::cell::RefCell;

#[test]
fn sqlite_portal_passes_the_suite() {
    let dirs = RefCell::new(Vec::new());
    conformance::portal_suite(|| {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlitePortal::open(&dir.path().join("portal.db")).unwrap();
        dirs.borrow_mut().push(dir);
        store
    });
}

#[test]
fn sqlite_telemetry_passes_the_suite() {
    let dir = tempfile::tempdir().unwrap();
    conformance::telemetry_suite(|| {
        SqliteTelemetry::open(&dir.path().join("telemetry.db")).unwrap()
    });
}
