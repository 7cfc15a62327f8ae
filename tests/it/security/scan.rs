//! Searching files and logs for a secret in the encodings it could be written in.

use std::path::Path;
use std::sync::{Arc, Mutex};

use base64::Engine;

/// The byte strings that betray `secret` wherever it was written: raw, hex in both cases,
/// and base64 (standard and URL-safe). Base64 encodes three bytes at a time, so a secret in
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

/// A log writer that keeps every line in memory, for scanning.
#[derive(Clone, Default)]
pub struct CapturedLog(Arc<Mutex<Vec<u8>>>);

impl CapturedLog {
    /// A subscriber that writes everything at debug level and above into this log. Set it
    /// as the default of a current-thread runtime's thread, so every task logs through it.
    pub fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync + use<> {
        let writer = self.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish()
    }

    /// What was logged so far.
    pub fn bytes(&self) -> Vec<u8> {
        self.0.lock().unwrap().clone()
    }
}

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
