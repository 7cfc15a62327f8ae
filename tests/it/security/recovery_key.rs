//! The recovery key and the recovery passphrase never reach a file or a log line: not
//! when recovery is turned on, not when the key is replaced, not when another session
//! recovers with it.

use sotto::engine::sync::AccountSync;
use sotto::engine::trust::{cross_signing, recovery};

use super::scan::{CapturedLog, encodings, files_containing};
use crate::harness::{PATIENCE, TestProfile, synapse};

#[test]
fn no_recovery_key_in_files_or_logs() {
    let test_a = TestProfile::new();
    let test_b = TestProfile::new();
    // Every thread of the test process logs into it, whichever runtime runs the tasks.
    let log = CapturedLog::start();
    // Several worker threads: the global capture hears them all.
    let runtime = crate::harness::runtime();
    let passphrase = "correct horse battery staple of the recovery test";
    let keys = runtime.block_on(async {
        let server = synapse::shared();
        let user = server.register("keykeeper").await;
        let a = test_a
            .accounts
            .login(&server.url(), &user.localpart, &user.password)
            .await
            .unwrap();
        let sync_a = AccountSync::start(&a).await.unwrap();
        sync_a.wait_until_rooms_synced(PATIENCE).await.unwrap();
        cross_signing::bootstrap_cross_signing(&a, Some(&user.password))
            .await
            .unwrap();
        let first = recovery::enable_recovery(&a, Some(passphrase))
            .await
            .unwrap();
        let second = recovery::reset_recovery_key(&a, None).await.unwrap();

        let b = test_b
            .accounts
            .login(&server.url(), &user.localpart, &user.password)
            .await
            .unwrap();
        let sync_b = AccountSync::start(&b).await.unwrap();
        sync_b.wait_until_rooms_synced(PATIENCE).await.unwrap();
        let stale = recovery::recover(&b, first.expose()).await;
        assert!(
            matches!(stale, Err(sotto::engine::EngineError::WrongRecoveryKey)),
            "the replaced key no longer works: {stale:?}"
        );
        recovery::recover(&b, second.expose()).await.unwrap();
        assert_eq!(
            recovery::recovery_state(&b),
            recovery::RecoveryStatus::On,
            "B recovered"
        );
        sync_a.stop().await;
        sync_b.stop().await;
        vec![
            first.expose().to_owned(),
            second.expose().to_owned(),
            passphrase.to_owned(),
        ]
    });

    let mut needles = Vec::new();
    for key in &keys {
        needles.extend(encodings(key.as_bytes()));
        // The key is shown in groups; it could also be written without the spaces.
        let compact: String = key.split_whitespace().collect();
        needles.extend(encodings(compact.as_bytes()));
    }

    let mut hits = Vec::new();
    for test in [&test_a, &test_b] {
        let paths = test.accounts.paths();
        hits.extend(files_containing(paths.data(), &needles));
        hits.extend(files_containing(paths.cache(), &needles));
    }
    assert!(
        hits.is_empty(),
        "a recovery key was found in files: {hits:?}"
    );

    let log = log.bytes();
    assert!(log.len() > 1000, "the engine logged at debug level");
    let leaked = needles
        .iter()
        .any(|n| log.windows(n.len()).any(|w| w == n.as_slice()));
    assert!(
        !leaked,
        "a recovery key or passphrase was written to a log line"
    );

    // Positive control: the scan finds a planted copy of the key.
    let paths = test_b.accounts.paths();
    let planted = paths.data().join("planted");
    std::fs::write(&planted, format!("x {} y", keys[1])).unwrap();
    assert_eq!(
        files_containing(paths.data(), &needles),
        vec![planted.display().to_string()]
    );
    std::fs::remove_file(planted).unwrap();
}
