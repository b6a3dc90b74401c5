//! The workers: a worker killed mid-job (its lease expires, another retries), a check
//! that panics (the job fails and is retried, then errored — the process lives on), and
//! a hundred uploads at once (all reviewed, none twice).

use crate::support::{NOW, fixture, settings};
use mosis_domain::Limits;
use mosis_review::{
    Check, DenyList, Finding, JobObserver, JobOutcome, Pipeline, Subject, WorkerPool,
    default_checks,
};
use mosis_storage::{JobState, ReviewQueue, SqlitePortal, VersionState, Versions};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "MOSIS_REVIEW_CHILD_DIR";

/// A check that never returns: the child worker hangs in it until it is killed.
struct Hang;

impl Check for Hang {
    fn id(&self) -> &'static str {
        "hang"
    }
    fn title(&self) -> &'static str {
        "Hangs"
    }
    fn run(&self, _: &Subject<'_>) -> Vec<Finding> {
        loop {
            std::thread::sleep(Duration::from_secs(1));
        }
    }
}

/// A check that panics on one app (as a bug tripped by a hostile package would).
struct PanicsOn(&'static str);

impl Check for PanicsOn {
    fn id(&self) -> &'static str {
        "panics"
    }
    fn title(&self) -> &'static str {
        "Panics on one app"
    }
    fn run(&self, subject: &Subject<'_>) -> Vec<Finding> {
        assert_ne!(
            subject.version.app_id.as_str(),
            self.0,
            "tripped over a hostile package"
        );
        vec![Finding::passed("fine")]
    }
}

/// The child process: a worker on the shared data dir that claims the job and hangs.
fn child(dir: &std::path::Path) -> ! {
    let store = Arc::new(SqlitePortal::open(&dir.join("portal.db")).unwrap());
    let blobs = mosis_storage::FsBlobStore::open(&dir.join("packages")).unwrap();
    let f = crate::support::fixture();
    let reviewer = mosis_review::Reviewer::new(
        store,
        blobs,
        Pipeline::with_checks(vec![Box::new(Hang)], Limits::default(), DenyList::default()),
        f.publisher(),
        f.clock.clone(),
        settings(1),
    );
    let _ = reviewer.run_once("child");
    unreachable!("the hanging check never returns")
}

#[test]
fn a_worker_killed_mid_job_loses_its_lease_and_another_retries_the_job() {
    if let Some(dir) = std::env::var_os(CHILD_ENV) {
        child(std::path::Path::new(&dir));
    }
    let f = fixture();
    let v = f.upload(&f.pack("com.example.weather", "1.0.0"));
    let mut worker = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "workers::a_worker_killed_mid_job_loses_its_lease_and_another_retries_the_job",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, f.dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let job = f.store.job_of_version(v.id).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while f.store.job(job.id).unwrap().lease_owner.as_deref() != Some("child") {
        assert!(Instant::now() < deadline, "the child never claimed the job");
        std::thread::sleep(Duration::from_millis(20));
    }
    worker.kill().unwrap();
    worker.wait().unwrap();

    let reviewer = f.reviewer(
        Pipeline::new(Limits::default(), DenyList::default()),
        settings(1),
    );
    assert_eq!(
        reviewer.run_once("w2").unwrap(),
        None,
        "the dead worker's lease still holds"
    );
    f.clock.advance(61);
    match reviewer.run_once("w2").unwrap() {
        Some(JobOutcome::Reviewed(version)) => assert_eq!(version.state, VersionState::InReview),
        other => panic!("expected a review, got {other:?}"),
    }
    let job = f.store.job(job.id).unwrap();
    assert_eq!((job.state, job.attempts), (JobState::Done, 2));
    assert!(
        f.store.finish_job(job.id, "child", NOW + 62).is_err(),
        "the dead worker cannot finish the job any more"
    );
}

#[test]
fn a_check_that_panics_fails_its_job_until_a_person_must_look_and_the_rest_go_on() {
    let f = fixture();
    let bad = f.upload(&f.pack("com.example.hostile", "1.0.0"));
    let good = f.upload(&f.pack("com.example.weather", "1.0.0"));
    let mut checks = default_checks();
    checks.push(Box::new(PanicsOn("com.example.hostile")));
    let reviewer = f.reviewer(
        Pipeline::with_checks(checks, Limits::default(), DenyList::default()),
        settings(1),
    );
    let mut outcomes = Vec::new();
    while let Some(outcome) = reviewer.run_once("w1").unwrap() {
        outcomes.push(outcome);
    }
    // The hostile job: three attempts, each failing with the check named; then errored.
    let failures: Vec<(JobState, String)> = outcomes
        .iter()
        .filter_map(|o| match o {
            JobOutcome::Failed { state, error } => Some((*state, error.clone())),
            JobOutcome::Reviewed(_) => None,
        })
        .collect();
    assert_eq!(
        failures.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        [JobState::Queued, JobState::Queued, JobState::Errored]
    );
    assert!(
        failures[0].1.contains("panics check crashed") && failures[0].1.contains("hostile"),
        "{}",
        failures[0].1
    );
    let job = f.store.job_of_version(bad.id).unwrap();
    assert_eq!((job.state, job.attempts), (JobState::Errored, 3));
    assert_eq!(
        f.store.version_by_id(bad.id).unwrap().state,
        VersionState::Pending,
        "left for a person"
    );
    assert_eq!(
        f.store.version_by_id(good.id).unwrap().state,
        VersionState::InReview,
        "the others are reviewed"
    );
    // A person retries it (after a fix, say): the job runs again.
    f.store.retry_job(job.id, NOW).unwrap();
    let fixed = f.reviewer(
        Pipeline::new(Limits::default(), DenyList::default()),
        settings(1),
    );
    assert!(matches!(
        fixed.run_once("w1").unwrap(),
        Some(JobOutcome::Reviewed(_))
    ));
    assert_eq!(
        f.store.version_by_id(bad.id).unwrap().state,
        VersionState::InReview
    );
}

#[derive(Default)]
struct Count(AtomicUsize);

impl JobObserver for Count {
    fn job_finished(&self, _: &'static str, _: Duration) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn a_hundred_uploads_at_once_are_all_reviewed_and_none_twice() {
    let f = fixture();
    let mut versions = Vec::new();
    for app in 0..10 {
        for minor in 0..10 {
            let path = f.pack(&format!("com.example.app{app}"), &format!("1.{minor}.0"));
            versions.push(f.upload(&path));
        }
    }
    let count = Arc::new(Count::default());
    let reviewer = Arc::new(
        f.reviewer(
            Pipeline::new(Limits::default(), DenyList::default()),
            settings(4),
        )
        .with_observer(count.clone()),
    );
    let pool = WorkerPool::start(reviewer.clone()).unwrap();
    reviewer.wake();
    let deadline = Instant::now() + Duration::from_secs(120);
    while f.store.queue_depth().unwrap() > 0 {
        assert!(
            Instant::now() < deadline,
            "{} jobs left",
            f.store.queue_depth().unwrap()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    pool.stop();
    for v in &versions {
        let now = f.store.version_by_id(v.id).unwrap();
        assert_eq!(
            now.state,
            VersionState::InReview,
            "{} {}: {:?}",
            now.app_id,
            now.version,
            now.report_json
        );
        let job = f.store.job_of_version(v.id).unwrap();
        assert_eq!(
            (job.state, job.attempts),
            (JobState::Done, 1),
            "reviewed once"
        );
    }
    assert_eq!(count.0.load(Ordering::SeqCst), 100, "one attempt per job");
}

#[test]
fn queued_jobs_survive_a_restart_and_the_next_workers_review_them() {
    let f = fixture();
    let versions: Vec<_> = (0..3)
        .map(|i| f.upload(&f.pack(&format!("com.example.app{i}"), "1.0.0")))
        .collect();
    // "Restart": nothing of the first process is kept but the data directory.
    let path = f.dir.path().join("portal.db");
    let reopened = Arc::new(SqlitePortal::open(&path).unwrap());
    let reviewer = Arc::new(mosis_review::Reviewer::new(
        reopened.clone(),
        mosis_storage::FsBlobStore::open(&f.dir.path().join("packages")).unwrap(),
        Pipeline::new(Limits::default(), DenyList::default()),
        f.publisher(),
        f.clock.clone(),
        settings(2),
    ));
    // Started without a wake-up: the workers look for work on their own.
    let pool = WorkerPool::start(reviewer).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while reopened.queue_depth().unwrap() > 0 {
        assert!(
            Instant::now() < deadline,
            "the queued jobs were not picked up"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    pool.stop();
    for v in versions {
        assert_eq!(
            reopened.version_by_id(v.id).unwrap().state,
            VersionState::InReview
        );
    }
}
