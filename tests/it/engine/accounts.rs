//! Accounts and secrets against the real Synapse and the real Secret Service: sign in,
//! restore, several accounts, sign out, a token revoked elsewhere, and bad input.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;

use sotto::engine::EngineError;
use sotto::engine::accounts::Accounts;
use sotto::engine::secrets::SecretStore;

use crate::harness::{self, TestProfile, peers, synapse};

/// The devices the server lists for `user`, seen from a fresh login of theirs.
async fn server_devices(user: &synapse::TestUser) -> Vec<String> {
    let client = peers::login(synapse::shared(), user).await;
    let devices = client.devices().await.expect("the device list").devices;
    devices
        .into_iter()
        .map(|d| d.device_id.to_string())
        .collect()
}

#[test]
fn sign_in_restore_and_sign_out() {
    let test = TestProfile::new();
    harness::runtime().block_on(async {
        let server = synapse::shared();
        let user = server.register("restore").await;
        let session = test
            .accounts
            .login(&server.url(), &user.localpart, &user.password)
            .await
            .expect("signs in");
        let device = session.device_id();
        let folder = session.folder().to_owned();
        // The name the server and every contact see says what kind of machine this is,
        // never its host name.
        let shown = session
            .client()
            .devices()
            .await
            .unwrap()
            .devices
            .into_iter()
            .find(|d| d.device_id.as_str() == device)
            .and_then(|d| d.display_name)
            .unwrap();
        assert!(
            ["Sotto on a phone", "Sotto on a computer"].contains(&shown.as_str()),
            "{shown}"
        );
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
        assert!(!shown.contains(host.trim()), "{shown} names the host");
        drop(session);

        // Sotto's folders are its owner's only, and so is the account list.
        let paths = test.accounts.paths();
        let mode =
            |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        for dir in [
            paths.data().to_owned(),
            paths.cache().to_owned(),
            paths.account_data(&folder),
            paths.account_cache(&folder),
        ] {
            assert_eq!(mode(&dir), 0o700, "{}", dir.display());
        }
        assert_eq!(mode(&paths.account_list()), 0o600, "accounts.json");
        // A folder an older version left readable by others is narrowed on the next start.
        std::fs::set_permissions(
            paths.account_data(&folder),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();

        // A fresh accounts object over the same folders restores the account.
        let again = Accounts::new(test.accounts.paths().clone(), SecretStore::new());
        let accounts = again.list().expect("the account list");
        assert_eq!(accounts.len(), 1);
        assert_eq!(accounts[0].user_id, user.user_id);
        let restored = again.restore(&accounts[0]).await.expect("restores");
        assert_eq!(mode(&paths.account_data(&folder)), 0o700);
        assert_eq!(restored.device_id(), device);
        assert!(server_devices(&user).await.contains(&device));

        again.sign_out(restored).await.expect("signs out");
        assert!(
            !server_devices(&user).await.contains(&device),
            "the device is gone on the server"
        );
        assert!(matches!(
            SecretStore::new().load(&user.user_id),
            Err(EngineError::SecretsMissing(_))
        ));
        assert!(!test.accounts.paths().account_data(&folder).exists());
        assert!(!test.accounts.paths().account_cache(&folder).exists());
        assert!(again.list().unwrap().is_empty());
    });
}

#[test]
fn two_accounts_are_independent() {
    let test = TestProfile::new();
    harness::runtime().block_on(async {
        let server = synapse::shared();
        let first = server.register("multi-one").await;
        let second = server.register("multi-two").await;
        let a = test
            .accounts
            .login(&server.url(), &first.localpart, &first.password)
            .await
            .unwrap();
        // A full Matrix ID needs no homeserver when it resolves; here it is typed anyway.
        let b = test
            .accounts
            .login(&server.url(), &second.user_id, &second.password)
            .await
            .unwrap();
        assert_ne!(a.folder(), b.folder());
        test.accounts
            .sign_out(a)
            .await
            .expect("signs the first out");

        let accounts = test.accounts.list().unwrap();
        assert_eq!(accounts.len(), 1);
        assert_eq!(accounts[0].user_id, second.user_id);
        drop(b);
        let b = test
            .accounts
            .restore(&accounts[0])
            .await
            .expect("the second still restores");
        assert_eq!(b.user_id(), second.user_id);
        test.accounts.sign_out(b).await.unwrap();
    });
}

#[test]
fn signing_in_twice_to_one_account_is_refused() {
    let test = TestProfile::new();
    harness::runtime().block_on(async {
        let server = synapse::shared();
        let user = server.register("twice").await;
        let session = test
            .accounts
            .login(&server.url(), &user.localpart, &user.password)
            .await
            .unwrap();
        let before = server_devices(&user).await;
        let err = test
            .accounts
            .login(&server.url(), &user.localpart, &user.password)
            .await
            .expect_err("a second sign-in of the same account is refused");
        assert!(
            matches!(err, EngineError::AlreadySignedIn(ref u) if *u == user.user_id),
            "{err:?}"
        );
        // The refused attempt left no device behind: only the second check's own is new.
        let after = server_devices(&user).await;
        assert_eq!(
            after.len(),
            before.len() + 1,
            "before: {before:?}, after: {after:?}"
        );
        assert!(before.iter().all(|d| after.contains(d)));
        assert_eq!(test.accounts.list().unwrap().len(), 1);
        test.accounts.sign_out(session).await.unwrap();
    });
}

#[test]
fn wrong_password_and_unknown_user() {
    let test = TestProfile::new();
    harness::runtime().block_on(async {
        let server = synapse::shared();
        let user = server.register("badpw").await;
        let err = test
            .accounts
            .login(&server.url(), &user.localpart, "not-the-password")
            .await
            .unwrap_err();
        assert!(matches!(err, EngineError::WrongCredentials), "{err:?}");
        let err = test
            .accounts
            .login(&server.url(), "nobody-here", "whatever")
            .await
            .unwrap_err();
        assert!(matches!(err, EngineError::WrongCredentials), "{err:?}");
        assert!(test.accounts.list().unwrap().is_empty(), "nothing is kept");
        assert!(
            !test.accounts.paths().data().exists()
                || std::fs::read_dir(test.accounts.paths().data())
                    .unwrap()
                    .next()
                    .is_none(),
            "no store folder is left behind"
        );
    });
}

#[test]
fn bad_usernames_and_homeservers() {
    let test = TestProfile::new();
    harness::runtime().block_on(async {
        let err = test.accounts.login("", "alice", "pw").await.unwrap_err();
        assert!(matches!(err, EngineError::InvalidHomeserver(_)), "{err:?}");
        let err = test
            .accounts
            .login("http://127.0.0.1:1", "Alice Smith", "pw")
            .await
            .unwrap_err();
        assert!(matches!(err, EngineError::InvalidUsername(_)), "{err:?}");
    });
}

#[test]
fn unreachable_server() {
    let test = TestProfile::new();
    // A port that was free a moment ago: nothing answers there.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    harness::runtime().block_on(async {
        let err = test
            .accounts
            .login(&format!("http://127.0.0.1:{port}"), "alice", "pw")
            .await
            .unwrap_err();
        assert!(matches!(err, EngineError::Unreachable(_)), "{err:?}");
    });
}

/// Answers up to 64 HTTP requests on `listener`, each with what `answer` makes of its path:
/// the status line, the content type and the body.
fn serve_http(
    listener: TcpListener,
    answer: impl Fn(&str) -> (&'static str, &'static str, String) + Send + 'static,
) {
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten().take(64) {
            let mut buf = [0u8; 4096];
            let n = stream.read(&mut buf).unwrap_or(0);
            let head = String::from_utf8_lossy(&buf[..n]);
            let path = head.split_whitespace().nth(1).unwrap_or_default();
            let (status, content_type, body) = answer(path);
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
}

#[test]
fn a_server_that_is_not_matrix() {
    let test = TestProfile::new();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // A plain web server: every request gets the same little HTML page.
    serve_http(listener, |_| {
        let page = "<html><body>It works!</body></html>";
        ("200 OK", "text/html", page.to_owned())
    });
    harness::runtime().block_on(async {
        let err = test
            .accounts
            .login(&format!("http://127.0.0.1:{port}"), "alice", "pw")
            .await
            .unwrap_err();
        assert!(matches!(err, EngineError::NotMatrix), "{err:?}");
    });
}

#[test]
fn a_typed_plain_http_homeserver_is_refused_unless_it_is_this_computer() {
    let test = TestProfile::new();
    harness::runtime().block_on(async {
        // Refused before any request: nothing may go to that host over plain HTTP, not
        // even the question for its `.well-known`.
        for typed in ["http://matrix.example.org", "HTTP://matrix.example.org:8008/"] {
            let err = test.accounts.login(typed, "alice", "pw").await.unwrap_err();
            assert!(
                matches!(&err, EngineError::InsecureHomeserver(host) if host == "matrix.example.org"),
                "{typed}: {err:?}"
            );
        }
        assert!(test.accounts.list().unwrap().is_empty());
        // Plain HTTP to this computer stays possible (the test homeserver is reached so).
        let server = synapse::shared();
        let user = server.register("loopback").await;
        let session = test
            .accounts
            .login(&server.url(), &user.localpart, &user.password)
            .await
            .expect("signs in over http://127.0.0.1");
        test.accounts.sign_out(session).await.unwrap();
    });
}

#[test]
fn a_well_known_naming_a_plain_http_homeserver_elsewhere_is_refused() {
    let test = TestProfile::new();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // The homeserver the `.well-known` names is 0.0.0.0: not a loopback address, so it
    // must be refused, yet a connection to it stays on this computer. Were the check
    // missing, the next request would arrive here (and not leave the machine).
    let well_known = format!(r#"{{"m.homeserver":{{"base_url":"http://0.0.0.0:{port}"}}}}"#);
    let (requests_tx, requests) = std::sync::mpsc::channel::<String>();
    serve_http(listener, move |path| {
        let _ = requests_tx.send(path.to_owned());
        if path.starts_with("/.well-known/matrix/client") {
            ("200 OK", "application/json", well_known.clone())
        } else {
            let unknown = r#"{"errcode":"M_UNRECOGNIZED"}"#;
            ("404 Not Found", "application/json", unknown.to_owned())
        }
    });
    harness::runtime().block_on(async {
        let err = test
            .accounts
            .login(&format!("http://127.0.0.1:{port}"), "alice", "pw")
            .await
            .unwrap_err();
        assert!(
            matches!(&err, EngineError::InsecureHomeserver(host) if host == "0.0.0.0"),
            "{err:?}"
        );
    });
    let asked: Vec<String> = requests.try_iter().collect();
    assert!(
        asked
            .iter()
            .all(|path| path.starts_with("/.well-known/matrix/client")),
        "only the .well-known was asked for, nothing of the homeserver it names: {asked:?}"
    );
    assert!(!asked.is_empty(), "the .well-known was asked for");
    assert!(test.accounts.list().unwrap().is_empty());
}

#[test]
fn a_missing_store_folder_is_reported_not_crashed_on() {
    let (test, _) = TestProfile::signed_in("nostore");
    harness::runtime().block_on(async {
        let entry = &test.accounts.list().unwrap()[0];
        std::fs::remove_dir_all(test.accounts.paths().account_data(&entry.folder)).unwrap();
        let err = test.accounts.restore(entry).await.unwrap_err();
        assert!(matches!(err, EngineError::StoreUnusable { .. }), "{err:?}");
        // The secrets are still there, so signing in again is possible after forgetting.
        test.accounts.forget(entry).await.unwrap();
    });
}

#[test]
fn a_corrupt_store_is_reported_not_crashed_on() {
    let (test, _) = TestProfile::signed_in("corrupt");
    harness::runtime().block_on(async {
        let data = test
            .accounts
            .paths()
            .account_data(&test.accounts.list().unwrap()[0].folder);
        for entry in std::fs::read_dir(&data).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "sqlite3") {
                std::fs::write(&path, b"this is not a database").unwrap();
            }
        }
        let entry = &test.accounts.list().unwrap()[0];
        let err = test.accounts.restore(entry).await.unwrap_err();
        assert!(matches!(err, EngineError::StoreUnusable { .. }), "{err:?}");
        test.accounts.forget(entry).await.unwrap();
    });
}

#[test]
fn a_damaged_secret_service_item_is_reported() {
    let (test, user) = TestProfile::signed_in("damaged");
    harness::runtime().block_on(async {
        // Overwrite the item's secret with something that is not Sotto's.
        let mut child = std::process::Command::new("secret-tool")
            .args([
                "store",
                "--label=damaged",
                "service",
                "chat.sotto.Sotto",
                "username",
                &user.user_id,
            ])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .expect("secret-tool (package libsecret-tools) runs");
        child.stdin.take().unwrap().write_all(b"garbage").unwrap();
        assert!(child.wait().unwrap().success());

        let entry = &test.accounts.list().unwrap()[0];
        let err = test.accounts.restore(entry).await.unwrap_err();
        assert!(
            matches!(err, EngineError::SecretsDamaged(ref u) if *u == user.user_id),
            "{err:?}"
        );
        test.accounts.forget(entry).await.unwrap();
    });
}

#[test]
fn a_token_revoked_from_another_device_is_noticed() {
    let test = TestProfile::new();
    harness::runtime().block_on(async {
        let server = synapse::shared();
        let user = server.register("revoked").await;
        let session = test
            .accounts
            .login(&server.url(), &user.localpart, &user.password)
            .await
            .unwrap();
        let sync = sotto::engine::sync::AccountSync::start(&session)
            .await
            .unwrap();
        sync.wait_until_rooms_synced(harness::PATIENCE)
            .await
            .unwrap();

        // The person signs this device out from another session of theirs.
        let other = peers::login(server, &user).await;
        peers::delete_device(&other, &user, &session.device_id()).await;

        let err = tokio::time::timeout(harness::PATIENCE, session.invalidated())
            .await
            .expect("Sotto notices the revoked token");
        assert!(
            matches!(err, EngineError::SessionInvalidated { soft: false }),
            "{err:?}"
        );
        sync.stop().await;
    });
}

#[test]
fn after_a_soft_logout_signing_in_again_keeps_the_device_and_store() {
    let test = TestProfile::new();
    // Access tokens that expire: Synapse then reports a soft logout.
    let server = synapse::Synapse::start_with_config("session_lifetime: 20s");
    harness::runtime().block_on(async {
        let user = server.register("softlogout").await;
        let friend = server.register("softlogout-friend").await;
        let friend_client = peers::login(&server, &friend).await;
        let room = peers::create_room(&friend_client, "Kept room", false, &[&user.user_id]).await;
        let session = test
            .accounts
            .login(&server.url(), &user.localpart, &user.password)
            .await
            .unwrap();
        session
            .client()
            .join_room_by_id(room.room_id())
            .await
            .unwrap();
        let device = session.device_id();
        let sync = sotto::engine::sync::AccountSync::start(&session)
            .await
            .unwrap();
        let err = tokio::time::timeout(std::time::Duration::from_secs(90), session.invalidated())
            .await
            .expect("the token expires");
        assert!(
            matches!(err, EngineError::SessionInvalidated { soft: true }),
            "{err:?}"
        );
        sync.stop().await;
        drop(sync);
        drop(session);

        let entry = test.accounts.list().unwrap().remove(0);
        let err = test
            .accounts
            .sign_in_again_keeping_store(&entry, "wrong password")
            .await
            .unwrap_err();
        assert!(matches!(err, EngineError::WrongCredentials), "{err:?}");
        let again = test
            .accounts
            .sign_in_again_keeping_store(&entry, &user.password)
            .await
            .expect("signs in again");
        assert_eq!(again.device_id(), device, "the same device");
        assert_eq!(again.folder(), entry.folder, "the same store");
        assert!(
            again.client().get_room(room.room_id()).is_some(),
            "the room is still in the store"
        );
        // The new token is in the Secret Service: a restore works with it.
        drop(again);
        let restored = test.accounts.restore(&entry).await.unwrap();
        assert!(
            restored.client().whoami().await.is_ok(),
            "the new token is valid"
        );
    });
}
