//! After sign-in, sync and a restore, no file in Sotto's data and cache folders and no log
//! line holds the access token, the store key or the password, as text, base64 or hex.

use std::path::Path;
use std::sync::{Arc, Mutex};

use base64::Engine;
use sotto::engine::secrets::SecretStore;
use sotto::engine::sync::AccountSync;

use crate::harness::{PATIENCE, TestProfile, peers, synapse};

/// The encodings a secret could be written in.
pub(crate) fn encodings(secret: &[u8]) -> Vec<Vec<u8>> {
    let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    let engines = [
        base64::engine::general_purpose::STANDARD,
        base64::engine::general_purpose::STANDARD_NO_PAD,
        base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ];
    let mut all = vec![
        secret.to_vec(),
        hex.as_bytes().to_vec(),
        hex.to_uppercase().into_bytes(),
    ];
    all.extend(engines.iter().map(|e| e.encode(secret).into_bytes()));
    all
}

/// Every file under `dir` that contains one of `needles`.
pub(crate) fn files_containing(dir: &Path, needles: &[Vec<u8>]) -> Vec<String> {
    let mut hits = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return hits;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            hits.extend(files_containing(&path, needles));
        } else if let Ok(bytes) = std::fs::read(&path)
            && needles
                .iter()
                .any(|n| bytes.windows(n.len()).any(|w| w == n.as_slice()))
        {
            hits.push(path.display().to_string());
        }
    }
    hits
}

/// A log writer that keeps every line in memory, for scanning.
#[derive(Clone, Default)]
pub(crate) struct CapturedLog(pub(crate) Arc<Mutex<Vec<u8>>>);

impl std::io::Write for CapturedLog {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn no_token_or_store_key_in_files_or_logs() {
    let test = TestProfile::new();
    let log = CapturedLog::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // One thread, so every task logs through this subscriber.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (user_id, password) = runtime.block_on(async {
        let _guard = tracing::subscriber::set_default(subscriber);
        let server = synapse::shared();
        let user = server.register("leakcheck").await;
        let friend = server.register("leakcheck-friend").await;
        let friend_client = peers::login(server, &friend).await;
        let room = peers::create_room(&friend_client, "Leak check", false, &[&user.user_id]).await;
        peers::send_text(&room, "some traffic").await;

        let session = test
            .profile
            .login(&server.url(), &user.localpart, &user.password)
            .await
            .unwrap();
        let sync = AccountSync::start(&session).await.unwrap();
        sync.wait_until_rooms_synced(PATIENCE).await.unwrap();
        sync.stop().await;
        drop(sync);
        drop(session);
        let entry = &test.profile.accounts().unwrap()[0];
        let restored = test.profile.restore(entry).await.unwrap();
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

    let paths = test.profile.paths();
    let mut hits = files_containing(paths.data(), &needles);
    hits.extend(files_containing(paths.cache(), &needles));
    assert!(hits.is_empty(), "secrets found in files: {hits:?}");

    let log = log.0.lock().unwrap().clone();
    assert!(
        log.len() > 1000,
        "the engine logged at debug level ({} bytes)",
        log.len()
    );
    let leaked = needles
        .iter()
        .any(|n| log.windows(n.len()).any(|w| w == n.as_slice()));
    assert!(!leaked, "a secret was written to a log line");

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
