//! After sign-in, sync and a restore, no file in Sotto's data and cache folders and no log
//! line holds the access token, the store key or the password, as text, base64 or hex.

use sotto::engine::secrets::SecretStore;
use sotto::engine::sync::AccountSync;

use super::scan::{CapturedLog, contains_any, encodings, files_containing};
use crate::harness::{PATIENCE, TestProfile, peers, synapse};

#[test]
fn no_token_or_store_key_in_files_or_logs() {
    let test = TestProfile::new();
    // Every thread of the test process logs into it, whichever runtime runs the tasks.
    let log = CapturedLog::start();
    // Several worker threads: the global capture hears them all.
    let runtime = crate::harness::runtime();
    let (user_id, password) = runtime.block_on(async {
        let server = synapse::shared();
        let user = server.register("leakcheck").await;
        let friend = server.register("leakcheck-friend").await;
        let friend_client = peers::login(server, &friend).await;
        let room = peers::create_room(&friend_client, "Leak check", false, &[&user.user_id]).await;
        peers::send_text(&room, "some traffic").await;

        let session = test
            .accounts
            .login(&server.url(), &user.localpart, &user.password)
            .await
            .unwrap();
        let sync = AccountSync::start(&session).await.unwrap();
        sync.wait_until_rooms_synced(PATIENCE).await.unwrap();
        sync.stop().await;
        drop(sync);
        drop(session);
        let entry = &test.accounts.list().unwrap()[0];
        let restored = test.accounts.restore(entry).await.unwrap();
        let sync = AccountSync::start(&restored).await.unwrap();
        sync.wait_until_rooms_synced(PATIENCE).await.unwrap();
        sync.stop().await;
        (user.user_id, user.password)
    });

    let secrets = SecretStore::new()
        .load(&user_id)
        .expect("the secrets are in the Secret Service");
    let mut needles = encodings(secrets.access_token.as_bytes());
    needles.extend(encodings(secrets.store_key.as_bytes()));
    // The password is not kept at all, so it must not turn up either.
    needles.extend(encodings(password.as_bytes()));
    if let Some(refresh) = &secrets.refresh_token {
        needles.extend(encodings(refresh.as_bytes()));
    }

    let paths = test.accounts.paths();
    let mut hits = files_containing(paths.data(), &needles);
    hits.extend(files_containing(paths.cache(), &needles));
    assert!(hits.is_empty(), "secrets found in files: {hits:?}");

    let log = log.bytes();
    assert!(
        log.len() > 1000,
        "the engine logged at debug level ({} bytes)",
        log.len()
    );
    assert!(
        !contains_any(&log, &needles),
        "a secret was written to a log line"
    );

    // Positive control: the same scan finds a planted copy, in each encoding.
    for (i, needle) in needles.iter().enumerate() {
        let planted = paths.data().join(format!("planted-{i}"));
        std::fs::write(
            &planted,
            [b"prefix ".as_slice(), needle, b" suffix"].concat(),
        )
        .unwrap();
        assert_eq!(
            files_containing(paths.data(), &needles),
            vec![planted.display().to_string()],
            "the scan finds a planted secret"
        );
        std::fs::remove_file(planted).unwrap();
    }
}
