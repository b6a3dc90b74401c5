//! Device telemetry.

use super::*;

pub(super) fn telemetry<S: Telemetry>(s: &S) {
    let app = app_id("com.example.weather");
    let event = |kind, at| TelemetryEvent {
        app_id: app.clone(),
        version: "1.0.0".into(),
        install_id: "i-1".into(),
        kind,
        at,
        stack: (kind == EventKind::Crash).then(|| "at main.js:1".to_owned()),
        signature: (kind == EventKind::Crash).then(|| "main.js:1".to_owned()),
    };
    let batch = [
        event(EventKind::Install, NOW),
        event(EventKind::Launch, NOW + 10),
        event(EventKind::Crash, NOW + 20),
    ];
    assert_eq!(s.insert_events(&batch, NOW + 30).expect("insert"), 3);
    assert_eq!(
        s.events_between(&app, NOW, NOW + 21).expect("events"),
        batch
    );
    assert_eq!(
        s.events_between(&app, NOW + 5, NOW + 15)
            .expect("events")
            .len(),
        1
    );
    assert_eq!(s.delete_events_before(NOW + 10).expect("retention"), 1);
    assert_eq!(
        s.events_between(&app, 0, i64::MAX).expect("events").len(),
        2
    );

    let mut rollup = DailyRollup {
        app_id: app.clone(),
        version: "1.0.0".into(),
        day: 20_791,
        installs: 1,
        uninstalls: 0,
        updates: 0,
        launches: 1,
        crashes: 1,
        active_installs: 1,
    };
    s.upsert_rollup(&rollup).expect("rollup");
    rollup.launches = 5;
    s.upsert_rollup(&rollup).expect("replace");
    assert_eq!(s.rollups(&app).expect("rollups"), [rollup]);

    s.record_crash(&app, "main.js:1", "at main.js:1", NOW + 20)
        .expect("crash");
    s.record_crash(&app, "main.js:1", "at main.js:1 (again)", NOW + 5)
        .expect("crash");
    s.record_crash(&app, "lib.js:9", "at lib.js:9", NOW)
        .expect("crash");
    let groups = s.crash_groups(&app).expect("groups");
    assert_eq!(groups.len(), 2);
    assert_eq!(
        (groups[0].signature.as_str(), groups[0].occurrences),
        ("main.js:1", 2)
    );
    assert_eq!(
        (groups[0].first_seen, groups[0].last_seen),
        (NOW + 5, NOW + 20)
    );
    assert_eq!(
        groups[0].sample_stack, "at main.js:1",
        "the first stack is kept as the sample"
    );
}
