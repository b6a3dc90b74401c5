//! A store, a blob store, a manual clock, a developer with a key, and real packages.

use mosis_domain::{AppId, SigningKey, verify_package};
use mosis_review::{
    DenyList, OnlineSigner, Pipeline, Publisher, Reviewed, Reviewer, WorkerSettings,
};
use mosis_storage::{
    AccountId, Accounts, Apps, BlobFile, BlobKey, BlobStore, FsBlobStore, ManualClock, NewVersion,
    PendingBlob, SigningKeys, SqlitePortal, VersionRecord, Versions,
};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub const NOW: i64 = 1_800_000_000;

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub store: Arc<SqlitePortal>,
    pub blobs: FsBlobStore,
    pub clock: Arc<ManualClock>,
    pub owner: AccountId,
    pub key: SigningKey,
    pub root: SigningKey,
    pub signer: Arc<OnlineSigner>,
}

pub fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqlitePortal::open(&dir.path().join("portal.db")).unwrap());
    let blobs = FsBlobStore::open(&dir.path().join("packages")).unwrap();
    let owner = store.create_account("alice", None, NOW).unwrap().id;
    let key = SigningKey::from_seed([11; 32]).unwrap();
    store
        .add_key(owner, &key.public_key(), "laptop", NOW)
        .unwrap();
    let root = SigningKey::from_seed([1; 32]).unwrap();
    let online = SigningKey::from_seed([2; 32]).unwrap();
    let endorsement = mosis_domain::Signed::sign(
        mosis_domain::DocKind::OnlineKeys,
        &mosis_domain::OnlineKeys::new(&[online.public_key()], NOW),
        &root,
    );
    Fixture {
        dir,
        store,
        blobs,
        clock: Arc::new(ManualClock::new(NOW)),
        owner,
        key,
        root,
        signer: Arc::new(OnlineSigner::new(online, endorsement)),
    }
}

impl Fixture {
    /// A project of `app` at `version` (`tweak` may change its files), packed and signed
    /// with `key`.
    pub fn pack_with(
        &self,
        app: &str,
        version: &str,
        key: &SigningKey,
        tweak: impl FnOnce(&Path),
    ) -> PathBuf {
        let project = self.dir.path().join(format!("src-{app}-{version}"));
        let _ = std::fs::remove_dir_all(&project);
        mosis_domain::init_project(&project, &AppId::parse(app).unwrap(), "Weather").unwrap();
        let manifest_path = project.join("manifest.json");
        let mut manifest: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&manifest_path).unwrap()).unwrap();
        manifest["version"] = version.into();
        std::fs::write(&manifest_path, manifest.to_string()).unwrap();
        tweak(&project);
        let out = self.dir.path().join(format!("{app}-{version}.mpk"));
        mosis_domain::pack_to_file(&project, key, &out).unwrap();
        out
    }

    pub fn pack(&self, app: &str, version: &str) -> PathBuf {
        self.pack_with(app, version, &self.key, |_| {})
    }

    /// Stores a package as an upload by `uploader` (claiming the app on its first
    /// version), as the server does after verifying it; `bytes` may differ from the
    /// package (a tampered copy). Returns the pending version.
    pub fn upload_bytes(&self, path: &Path, bytes: &[u8], uploader: AccountId) -> VersionRecord {
        let verified =
            verify_package(std::fs::File::open(path).unwrap(), &Default::default()).unwrap();
        let manifest = verified.manifest();
        let app_id = manifest.id.clone();
        let owner = self.store.app(&app_id).map_or(uploader, |a| a.owner_id);
        let mut pending = self.blobs.begin(u64::MAX).unwrap();
        pending.write_all(bytes).unwrap();
        let info = pending
            .commit(&BlobKey {
                dev_id: owner,
                app_id: app_id.clone(),
                version: manifest.version.clone(),
                file: BlobFile::Package,
            })
            .unwrap();
        let claim = self
            .store
            .app(&app_id)
            .is_err()
            .then_some(manifest.name.as_str());
        let new = NewVersion {
            app_id,
            version: manifest.version.clone(),
            size: info.size,
            sha256: info.sha256,
            key_id: verified.key_id(),
            manifest_json: serde_json::to_string(manifest).unwrap(),
            uploaded_by: uploader,
            requested_channel: None,
        };
        self.store.record_upload(&new, claim, NOW).unwrap().0
    }

    pub fn upload(&self, path: &Path) -> VersionRecord {
        self.upload_bytes(path, &std::fs::read(path).unwrap(), self.owner)
    }

    pub fn publisher(&self) -> Publisher {
        Publisher::new(self.signer.clone(), self.blobs.clone())
    }

    pub fn reviewer(&self, pipeline: Pipeline, settings: WorkerSettings) -> Reviewer<SqlitePortal> {
        Reviewer::new(
            self.store.clone(),
            self.blobs.clone(),
            pipeline,
            self.publisher(),
            self.clock.clone(),
            settings,
        )
    }

    /// Runs the default checks over a stored version.
    pub fn review(&self, version: &VersionRecord, deny_list: DenyList) -> Reviewed {
        self.review_with(version, Default::default(), deny_list)
    }

    pub fn review_with(
        &self,
        version: &VersionRecord,
        limits: mosis_domain::Limits,
        deny_list: DenyList,
    ) -> Reviewed {
        let app = self.store.app(&version.app_id).unwrap();
        Pipeline::new(limits, deny_list)
            .review(&*self.store, &self.blobs, &app, version, false, NOW)
            .unwrap()
    }
}

/// Settings for tests: short leases, one worker unless told.
pub fn settings(workers: usize) -> WorkerSettings {
    WorkerSettings {
        workers,
        lease_secs: 60,
        max_attempts: 3,
        idle_poll: std::time::Duration::from_millis(50),
        auto_approve: false,
    }
}
