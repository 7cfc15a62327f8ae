//! Searching files and logs for a secret in the encodings it could be written in.

use std::path::Path;

use base64::Engine;

/// The byte strings that betray `secret` wherever it was written: raw, hex in both cases,
/// decimal bytes as `Debug` prints them, and base64 (standard and URL-safe). Base64 encodes three bytes at a time, so a secret in
/// the middle of a longer encoded text turns into one of three strings depending on its
/// offset; each of the three alignments is here, cut to the characters that only the secret
/// decides.
pub fn encodings(secret: &[u8]) -> Vec<Vec<u8>> {
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
    // Decimal bytes, the way `Debug` prints a `[u8; 32]` or a `Vec<u8>` ("[12, 34, …]"),
    // also pretty-printed ("{:#?}", one number a line) and without spaces; without the
    // brackets, so that the secret is found inside a longer array too.
    let decimal: Vec<String> = secret.iter().map(u8::to_string).collect();
    if decimal.len() >= 4 {
        all.push(decimal.join(", ").into_bytes());
        all.push(decimal.join(",").into_bytes());
        for indent in [4, 8, 12, 16] {
            all.push(
                decimal
                    .join(&format!(",\n{}", " ".repeat(indent)))
                    .into_bytes(),
            );
        }
    }
    for offset in 0..3 {
        // The first whole group of three bytes starts this far into the secret.
        let skip = (3 - offset) % 3;
        let rest = &secret[skip.min(secret.len())..];
        let whole = &rest[..rest.len() / 3 * 3];
        if whole.len() >= 6 {
            all.extend(engines[1..].iter().map(|e| e.encode(whole).into_bytes()));
        }
    }
    all.sort();
    all.dedup();
    all
}

/// Whether `haystack` holds one of `needles`.
pub fn contains_any(haystack: &[u8], needles: &[Vec<u8>]) -> bool {
    needles
        .iter()
        .any(|n| haystack.windows(n.len()).any(|w| w == n.as_slice()))
}

/// Every file under `dir` that contains one of `needles`.
pub fn files_containing(dir: &Path, needles: &[Vec<u8>]) -> Vec<String> {
    let mut hits = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return hits;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            hits.extend(files_containing(&path, needles));
        } else if let Ok(bytes) = std::fs::read(&path)
            && contains_any(&bytes, needles)
        {
            hits.push(path.display().to_string());
        }
    }
    hits
}

/// What the whole test process logged from some point on, from every thread (the global
/// subscriber of `harness::process_logs`). Tests running at the same time log into the same
/// files, so a scan looks for secrets only its own test knows.
pub struct CapturedLog {
    path: std::path::PathBuf,
    from: u64,
}

impl CapturedLog {
    /// The debug-level log of every target, from now on.
    pub fn start() -> Self {
        Self::from_file(&crate::harness::process_logs().debug)
    }

    /// The lines the app prints at its default level, from now on.
    pub fn start_default_level() -> Self {
        Self::from_file(&crate::harness::process_logs().default_level)
    }

    fn from_file(path: &Path) -> Self {
        let from = std::fs::metadata(path).map_or(0, |m| m.len());
        Self {
            path: path.to_owned(),
            from,
        }
    }

    /// What was logged since `start`.
    pub fn bytes(&self) -> Vec<u8> {
        use std::io::{Read, Seek, SeekFrom};
        let mut file = std::fs::File::open(&self.path).expect("the test log");
        file.seek(SeekFrom::Start(self.from)).expect("the test log");
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).expect("the test log");
        bytes
    }
}

#[test]
fn base64_of_a_secret_is_found_at_every_offset() {
    let secret = b"a secret of some length";
    let needles = encodings(secret);
    for prefix in ["", "x", "xy", "xyz"] {
        let text = [prefix.as_bytes(), secret, b" and more"].concat();
        for engine in [
            base64::engine::general_purpose::STANDARD,
            base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ] {
            let encoded = engine.encode(&text);
            assert!(
                contains_any(encoded.as_bytes(), &needles),
                "not found in {encoded} (prefix {prefix:?})"
            );
        }
    }
    assert!(!contains_any(b"something else entirely", &needles));
}

#[test]
fn decimal_byte_arrays_are_found() {
    let key: [u8; 32] = std::array::from_fn(|i| (i * 7 + 3) as u8);
    let needles = encodings(&key);
    for text in [
        format!("key: {key:?}"),
        format!("key: {:?}", key.to_vec()),
        format!("{:#?}", Some(key)),
        format!("[1, 2, {}]", &format!("{key:?}")[1..]),
    ] {
        assert!(
            contains_any(text.as_bytes(), &needles),
            "not found in {text}"
        );
    }
}

/// Positive control of the log scans: a secret logged from a thread the test did not start
/// its runtime on (a plain `std::thread`, and a tokio worker) is in the captured log, as
/// text and as a decimal byte array.
#[test]
fn the_captured_log_hears_every_thread() {
    crate::harness::init_logging();
    let log = CapturedLog::start();
    let default_level = CapturedLog::start_default_level();
    let secret = format!("planted-{}", crate::harness::synapse::random_hex(16));
    let key: [u8; 32] = std::array::from_fn(|i| (i * 11 + 5) as u8);
    let text = secret.clone();
    std::thread::spawn(move || {
        tracing::debug!(target: "sotto::planted", "a planted secret {text}, key {key:?}");
        tracing::info!(target: "sotto::planted", "named at the default level: {text}");
    })
    .join()
    .unwrap();
    let tokio_secret = format!("planted-tokio-{}", crate::harness::synapse::random_hex(16));
    let text = tokio_secret.clone();
    crate::harness::runtime().block_on(async move {
        tokio::spawn(async move { tracing::debug!(target: "matrix_sdk::planted", "{text}") })
            .await
            .unwrap();
    });
    let bytes = log.bytes();
    assert!(contains_any(&bytes, &encodings(secret.as_bytes())));
    assert!(
        contains_any(&bytes, &encodings(&key)),
        "the key as decimal bytes"
    );
    assert!(contains_any(&bytes, &encodings(tokio_secret.as_bytes())));
    let bytes = default_level.bytes();
    assert!(contains_any(&bytes, &encodings(secret.as_bytes())));
    assert!(
        !contains_any(&bytes, &encodings(tokio_secret.as_bytes())),
        "a library's debug line is not at the default level"
    );
}
