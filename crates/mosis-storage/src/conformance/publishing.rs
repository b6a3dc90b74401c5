//! Apps, versions, releases and the review queue.

use super::*;

pub(super) fn apps<S: PortalStore>(s: &S) {
    let alice = s.create_account("alice", None, NOW).expect("alice").id;
    let bob = s.create_account("bob", None, NOW).expect("bob").id;
    let id = app_id("com.example.weather");
    let app = s.create_app(&id, alice, "Weather", NOW).expect("create");
    assert_eq!(
        (app.owner_id, app.name.as_str(), app.auto_approve),
        (alice, "Weather", None)
    );
    assert!(
        is_conflict(s.create_app(&id, bob, "Mine now", NOW)),
        "an app id is registered once"
    );
    assert!(is_not_found(s.create_app(
        &app_id("com.example.other"),
        AccountId(9_999),
        "x",
        NOW
    )));
    assert_eq!(
        s.app(&id).expect("app").owner_id,
        alice,
        "a refused claim changes nothing"
    );
    s.create_app(&app_id("com.example.atlas"), alice, "Atlas", NOW)
        .expect("second app");
    let ids: Vec<String> = s
        .apps_of(alice)
        .expect("apps")
        .into_iter()
        .map(|a| a.app_id.to_string())
        .collect();
    assert_eq!(ids, ["com.example.atlas", "com.example.weather"]);
    s.set_app_name(&id, "Weather Pro").expect("rename");
    s.set_auto_approve(&id, Some(false)).expect("override");
    let app = s.app(&id).expect("app");
    assert_eq!(
        (app.name.as_str(), app.auto_approve),
        ("Weather Pro", Some(false))
    );
    assert!(is_not_found(s.app(&app_id("com.example.none"))));
    assert!(is_not_found(
        s.set_app_name(&app_id("com.example.none"), "x")
    ));
}

pub(super) fn versions<S: PortalStore>(s: &S) {
    let (owner, public, app) = developer(s, "alice", "com.example.weather");
    let v1 = upload(s, owner, &public, &app, "1.0.0");
    assert_eq!(
        (v1.state, v1.channel, v1.size, v1.requested_channel),
        (VersionState::Pending, None, 1234, Some(Channel::Beta)),
        "the channel asked for is kept; the version is on none until published"
    );
    assert!(is_conflict(s.create_version(
        &NewVersion {
            app_id: app.clone(),
            version: "1.0.0".parse().expect("version"),
            size: 1,
            sha256: Sha256::of(b"x"),
            key_id: public.key_id(),
            manifest_json: "{}".into(),
            uploaded_by: owner,
            requested_channel: None,
        },
        NOW
    )));
    upload(s, owner, &public, &app, "1.10.0");
    upload(s, owner, &public, &app, "1.9.0");
    let order: Vec<String> = s
        .versions_of(&app)
        .expect("versions")
        .into_iter()
        .map(|v| v.version.to_string())
        .collect();
    assert_eq!(
        order,
        ["1.10.0", "1.9.0", "1.0.0"],
        "newest by semantic version first"
    );
    assert_eq!(
        s.version(&app, &"1.0.0".parse().expect("v"))
            .expect("version")
            .id,
        v1.id
    );

    let moved = s
        .transition(
            v1.id,
            VersionState::Pending,
            VersionState::InReview,
            None,
            None,
            NOW + 1,
        )
        .expect("to review");
    assert_eq!(
        (moved.state, moved.updated_at),
        (VersionState::InReview, NOW + 1)
    );
    assert!(
        is_conflict(s.transition(
            v1.id,
            VersionState::Pending,
            VersionState::Rejected,
            None,
            None,
            NOW
        )),
        "a transition is a compare-and-set"
    );
    let reviewer = s.create_account("rita", None, NOW).expect("reviewer").id;
    let rejected = s
        .transition(
            v1.id,
            VersionState::InReview,
            VersionState::Rejected,
            Some("crashes on start"),
            Some(reviewer),
            NOW + 2,
        )
        .expect("reject");
    assert_eq!(
        (rejected.reject_reason.as_deref(), rejected.reviewed_by),
        (Some("crashes on start"), Some(reviewer))
    );
    assert_eq!(
        s.versions_in_state(VersionState::Pending)
            .expect("pending")
            .len(),
        2
    );
    assert!(is_not_found(s.version_by_id(VersionId(9_999))));
}

pub(super) fn uploads<S: PortalStore>(s: &S) {
    let (owner, public, _) = developer(s, "alice", "com.example.weather");
    let fresh = app_id("com.example.fresh");
    let new = |version: &str| NewVersion {
        app_id: fresh.clone(),
        version: version.parse().expect("version"),
        size: 10,
        sha256: Sha256::of(version.as_bytes()),
        key_id: public.key_id(),
        manifest_json: "{}".into(),
        uploaded_by: owner,
        requested_channel: None,
    };
    let (first, job) = s
        .record_upload(&new("1.0.0"), Some("Fresh"), NOW)
        .expect("first upload claims the id");
    assert_eq!(first.state, VersionState::Pending);
    let app = s.app(&fresh).expect("claimed app");
    assert_eq!((app.owner_id, app.name.as_str()), (owner, "Fresh"));
    assert_eq!(
        s.job(job).expect("job").version_id,
        first.id,
        "review job queued"
    );
    assert_eq!(s.queue_depth().expect("depth"), 1);

    assert!(
        is_conflict(s.record_upload(&new("2.0.0"), Some("Again"), NOW)),
        "a claimed id cannot be claimed again"
    );
    assert!(
        is_conflict(s.record_upload(&new("1.0.0"), None, NOW)),
        "a duplicate version conflicts"
    );
    assert_eq!(
        (
            s.versions_of(&fresh).expect("versions").len(),
            s.queue_depth().expect("depth")
        ),
        (1, 1),
        "a failed upload leaves no version and no job"
    );
    s.record_upload(&new("2.0.0"), None, NOW)
        .expect("a later version of an owned app");
    assert!(is_not_found(s.app(&app_id("com.example.none"))));
}

pub(super) fn releases<S: PortalStore>(s: &S) {
    let (owner, public, app) = developer(s, "alice", "com.example.weather");
    assert_eq!(s.index_serial(Channel::Stable).expect("serial"), 0);
    let v1 = upload(s, owner, &public, &app, "1.0.0");
    assert!(
        is_conflict(s.publish(
            v1.id,
            VersionState::InReview,
            Channel::Stable,
            "{}",
            None,
            NOW
        )),
        "only from the stated state"
    );
    s.transition(
        v1.id,
        VersionState::Pending,
        VersionState::InReview,
        None,
        None,
        NOW,
    )
    .expect("review");
    let reviewer = s.create_account("rita", None, NOW).expect("reviewer").id;
    assert_eq!(
        s.publish(
            v1.id,
            VersionState::InReview,
            Channel::Beta,
            "beta-1",
            Some(reviewer),
            NOW
        )
        .expect("publish"),
        1
    );
    let published = s.version_by_id(v1.id).expect("v1");
    assert_eq!(
        (
            published.channel,
            published.reviewed_by,
            published.auto_approved
        ),
        (Some(Channel::Beta), Some(reviewer), false)
    );
    assert!(
        s.current_releases(Channel::Stable)
            .expect("stable")
            .is_empty()
    );
    assert_eq!(
        s.current_releases(Channel::Beta).expect("beta")[0].statement,
        "beta-1"
    );
    // Promotion: publish the published version on stable, no re-upload.
    assert_eq!(
        s.publish(
            v1.id,
            VersionState::Published,
            Channel::Stable,
            "stable-1",
            None,
            NOW + 1
        )
        .expect("promote"),
        1
    );
    let promoted = s.version_by_id(v1.id).expect("v1");
    assert_eq!(
        (promoted.channel, promoted.reviewed_by),
        (Some(Channel::Stable), Some(reviewer)),
        "promotion keeps who approved it"
    );
    let v2 = upload(s, owner, &public, &app, "1.10.0");
    s.transition(
        v2.id,
        VersionState::Pending,
        VersionState::InReview,
        None,
        None,
        NOW,
    )
    .expect("review");
    assert_eq!(
        s.publish(
            v2.id,
            VersionState::InReview,
            Channel::Stable,
            "stable-2",
            None,
            NOW + 2
        )
        .expect("publish"),
        2
    );
    assert!(
        s.version_by_id(v2.id).expect("v2").auto_approved,
        "published without a reviewer: automatic"
    );
    let current = s.current_releases(Channel::Stable).expect("stable");
    assert_eq!(
        (current.len(), current[0].version.to_string()),
        (1, "1.10.0".to_owned()),
        "the newest release per app"
    );
    s.suspend(v2.id, NOW + 3).expect("suspend");
    assert_eq!(
        s.index_serial(Channel::Stable).expect("serial"),
        3,
        "suspending changes the index"
    );
    assert_eq!(
        s.current_releases(Channel::Stable).expect("stable")[0]
            .version
            .to_string(),
        "1.0.0"
    );
    assert!(
        is_conflict(s.suspend(v2.id, NOW)),
        "suspending twice is refused"
    );
    assert_eq!(s.index_serial(Channel::Beta).expect("serial"), 1);
}

pub(super) fn review_queue<S: PortalStore>(s: &S) {
    let (owner, public, app) = developer(s, "alice", "com.example.weather");
    let v1 = upload(s, owner, &public, &app, "1.0.0");
    let v2 = upload(s, owner, &public, &app, "1.1.0");
    let j1 = s.enqueue(v1.id, NOW).expect("enqueue");
    let j2 = s.enqueue(v2.id, NOW).expect("enqueue");
    assert!(is_conflict(s.enqueue(v1.id, NOW)), "one job per version");
    assert_eq!(s.queue_depth().expect("depth"), 2);

    let claimed = s.claim("w1", 60, 3, NOW).expect("claim").expect("a job");
    assert_eq!(
        (claimed.id, claimed.state, claimed.attempts),
        (j1, JobState::Running, 1),
        "oldest first"
    );
    let other = s.claim("w2", 60, 3, NOW).expect("claim").expect("a job");
    assert_eq!(other.id, j2, "a leased job is not handed out twice");
    assert_eq!(s.claim("w3", 60, 3, NOW).expect("claim"), None);
    s.finish_job(j2, "w2", NOW).expect("finish");
    assert!(
        is_conflict(s.finish_job(j2, "w2", NOW)),
        "a finished job cannot finish again"
    );

    // w1 dies: after the lease expires another worker retries the job.
    let retried = s
        .claim("w3", 60, 3, NOW + 61)
        .expect("claim")
        .expect("expired lease");
    assert_eq!(
        (retried.id, retried.attempts, retried.lease_owner.as_deref()),
        (j1, 2, Some("w3"))
    );
    assert!(
        is_conflict(s.finish_job(j1, "w1", NOW + 62)),
        "the old worker lost its lease"
    );
    assert_eq!(
        s.fail_job(j1, "w3", "check panicked", 3, NOW + 62)
            .expect("fail"),
        JobState::Queued
    );
    let third = s
        .claim("w4", 60, 3, NOW + 63)
        .expect("claim")
        .expect("requeued");
    assert_eq!(third.attempts, 3);
    assert_eq!(third.last_error.as_deref(), Some("check panicked"));
    // The third attempt's worker dies too: the job goes to a human.
    assert_eq!(s.claim("w5", 60, 3, NOW + 200).expect("claim"), None);
    assert_eq!(s.job(j1).expect("job").state, JobState::Errored);
    assert_eq!(s.queue_depth().expect("depth"), 0);
    assert_eq!(
        s.jobs_in_state(JobState::Errored)
            .expect("errored")
            .iter()
            .map(|j| j.id)
            .collect::<Vec<_>>(),
        [j1]
    );
    assert_eq!(s.job_of_version(v1.id).expect("job of v1").id, j1);

    // A person retries it: queued again, attempts reset; only an errored job can be.
    s.retry_job(j1, NOW + 201).expect("retry");
    assert!(
        is_conflict(s.retry_job(j1, NOW + 201)),
        "only errored jobs are retried"
    );
    let again = s
        .claim("w6", 60, 3, NOW + 202)
        .expect("claim")
        .expect("retried");
    assert_eq!((again.id, again.attempts), (j1, 1));

    // Completing: the report, the icon hash and the state move in one step, with the lease.
    let outcome = ReviewOutcome {
        report_json: r#"{"checks":[]}"#.into(),
        icon_sha256: Some(Sha256::of(b"icon")),
        next: VersionState::InReview,
        reason: None,
    };
    assert!(
        is_conflict(s.complete_review(j1, "w1", &outcome, NOW + 203)),
        "without the lease"
    );
    let done = s
        .complete_review(j1, "w6", &outcome, NOW + 203)
        .expect("complete");
    assert_eq!(
        (done.state, done.report_json.as_deref(), done.icon_sha256),
        (
            VersionState::InReview,
            Some(r#"{"checks":[]}"#),
            Some(Sha256::of(b"icon"))
        )
    );
    assert_eq!(s.job(j1).expect("job").state, JobState::Done);

    // A version a reviewer rejected meanwhile stays rejected; the report is still kept.
    let v3 = upload(s, owner, &public, &app, "1.2.0");
    let j3 = s.enqueue(v3.id, NOW).expect("enqueue");
    s.claim("w7", 60, 3, NOW + 300)
        .expect("claim")
        .expect("v3's job");
    s.transition(
        v3.id,
        VersionState::Pending,
        VersionState::Rejected,
        Some("spam"),
        Some(owner),
        NOW + 301,
    )
    .expect("early rejection");
    let kept = s
        .complete_review(j3, "w7", &outcome, NOW + 302)
        .expect("complete");
    assert_eq!(
        (
            kept.state,
            kept.reject_reason.as_deref(),
            kept.report_json.is_some()
        ),
        (VersionState::Rejected, Some("spam"), true)
    );
}

pub(super) fn newest_versions<S: PortalStore>(s: &S) {
    let (owner, public, app) = developer(s, "alice", "com.example.weather");
    for v in ["1.0.0", "1.10.0", "1.9.0"] {
        upload(s, owner, &public, &app, v);
    }
    let other = app_id("com.example.empty");
    s.create_app(&other, owner, "Empty", NOW)
        .expect("second app");
    let (bob, bob_key, bobs) = developer(s, "bob", "com.example.bobs");
    upload(s, bob, &bob_key, &bobs, "2.0.0");
    let newest = s.newest_versions_of_owner(owner).expect("newest");
    assert_eq!(
        newest
            .iter()
            .map(|(a, v)| (a.to_string(), v.version.to_string()))
            .collect::<Vec<_>>(),
        [("com.example.weather".to_owned(), "1.10.0".to_owned())],
        "the newest by semantic version, only of the owner's apps, none for an app without versions"
    );
}
