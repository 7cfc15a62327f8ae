//! The engine stays headless: nothing under src/engine uses GTK, GLib or libadwaita, and
//! it says nothing in words of its own: no gettext and no `i18n` under src/engine (it hands
//! typed values to the UI, which translates them).

use std::path::{Path, PathBuf};

const TOOLKIT_CRATES: [&str; 8] = [
    "gtk", "adw", "gdk", "gio", "glib", "gsk", "pango", "graphene",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("the source folder is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The lines of `source` that use a toolkit crate, as "LINE: text".
fn toolkit_uses(source: &str) -> Vec<String> {
    source
        .lines()
        .enumerate()
        .filter(|(_, line)| {
            let code = line.trim_start();
            !code.starts_with("//")
                && TOOLKIT_CRATES.iter().any(|name| {
                    let path = format!("{name}::");
                    code.starts_with(&format!("use {path}"))
                        || code.starts_with(&format!("use {name};"))
                        || code.starts_with(&format!("pub use {path}"))
                        || [" ", "(", "<", "&", "!"]
                            .iter()
                            .any(|before| code.contains(&format!("{before}{path}")))
                })
        })
        .map(|(number, line)| format!("{}: {}", number + 1, line.trim()))
        .collect()
}

/// The lines of `source` that translate text (a gettext call or an `i18n` import), as
/// "LINE: text". Any mention outside a comment counts: `gettext`, `ngettext`, `gettext_f`,
/// `crate::i18n`, `gettextrs`.
fn translations(source: &str) -> Vec<String> {
    source
        .lines()
        .enumerate()
        .filter(|(_, line)| {
            let code = line.trim_start();
            !code.starts_with("//") && (code.contains("gettext") || code.contains("i18n"))
        })
        .map(|(number, line)| format!("{}: {}", number + 1, line.trim()))
        .collect()
}

/// Every hit of `check` in the Rust files under src/engine, as "FILE:LINE: text".
fn engine_hits(check: fn(&str) -> Vec<String>) -> Vec<String> {
    hits_under("src/engine", check)
}

/// Every hit of `check` in the Rust files under `folder` (of the repository), as
/// "FILE:LINE: text".
fn hits_under(folder: &str, check: fn(&str) -> Vec<String>) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(&crate::harness::repo_root().join(folder), &mut files);
    assert!(files.len() > 3, "{folder} has its Rust files");
    files
        .iter()
        .flat_map(|file| {
            let text = std::fs::read_to_string(file).expect("a readable source file");
            check(&text)
                .into_iter()
                .map(move |hit| format!("{}:{hit}", file.display()))
        })
        .collect()
}

#[test]
fn engine_uses_no_toolkit_crate() {
    let offenders = engine_hits(toolkit_uses);
    assert!(
        offenders.is_empty(),
        "src/engine must stay headless:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn engine_translates_nothing() {
    let offenders = engine_hits(translations);
    assert!(
        offenders.is_empty(),
        "src/engine returns typed values; src/ui puts them into words (see src/ui/text.rs):\n{}",
        offenders.join("\n")
    );
}

#[test]
fn the_check_catches_planted_toolkit_uses() {
    let planted = "use std::fmt;\nuse gtk::prelude::*;\nfn f(x: &glib::Object) {}\n// gio:: in a comment\nlet t = adw::Toast::new(\"\");\n";
    assert_eq!(
        toolkit_uses(planted),
        vec![
            "2: use gtk::prelude::*;".to_owned(),
            "3: fn f(x: &glib::Object) {}".to_owned(),
            "5: let t = adw::Toast::new(\"\");".to_owned(),
        ]
    );
    assert!(toolkit_uses("use matrix_sdk::Client;\nlet gtkish = 1;").is_empty());
}

#[test]
fn the_check_catches_planted_translations() {
    let planted = "use crate::i18n::{gettext, gettext_f};\nlet a = 1;\n// gettext(\"in a comment\")\n    Body::State(gettext_f(\"{user} joined\", &args)),\nlet n = ngettext(\"a\", \"b\", 2);\nuse gettextrs::gettext;\n";
    assert_eq!(
        translations(planted),
        vec![
            "1: use crate::i18n::{gettext, gettext_f};".to_owned(),
            "4: Body::State(gettext_f(\"{user} joined\", &args)),".to_owned(),
            "5: let n = ngettext(\"a\", \"b\", 2);".to_owned(),
            "6: use gettextrs::gettext;".to_owned(),
        ]
    );
    assert!(translations("let text = say(Word::Shortened);").is_empty());
}

/// The lines of `source` that name the main window's module, as "LINE: text".
fn window_uses(source: &str) -> Vec<String> {
    source
        .lines()
        .enumerate()
        .filter(|(_, line)| {
            let code = line.trim_start();
            !code.starts_with("//") && code.contains("ui::window")
        })
        .map(|(number, line)| format!("{}: {}", number + 1, line.trim()))
        .collect()
}

#[test]
fn the_conversation_pane_does_not_reach_into_the_window() {
    let offenders = hits_under("src/ui/room_view", window_uses);
    assert!(
        offenders.is_empty(),
        "the conversation pane reaches its window only through widgets, actions and \
         signals:\n{}",
        offenders.join("\n")
    );
    assert_eq!(
        window_uses("use crate::ui::window::Window;\n// ui::window in a comment\nlet a = 1;\n"),
        vec!["1: use crate::ui::window::Window;".to_owned()],
        "the check finds a planted use"
    );
}

/// The lines of `source` that name the Matrix SDK's crates, as "LINE: text".
fn sdk_uses(source: &str) -> Vec<String> {
    source
        .lines()
        .enumerate()
        .filter(|(_, line)| {
            let code = line.trim_start();
            !code.starts_with("//") && (code.contains("matrix_sdk") || code.contains("ruma::"))
        })
        .map(|(number, line)| format!("{}: {}", number + 1, line.trim()))
        .collect()
}

#[test]
fn the_ui_reaches_matrix_only_through_the_engine() {
    let offenders = hits_under("src/ui", sdk_uses);
    assert!(
        offenders.is_empty(),
        "the UI gets rooms, people and IDs from the engine's API (engine::ids for the \
         typed IDs), never from matrix-sdk itself:\n{}",
        offenders.join("\n")
    );
    assert_eq!(
        sdk_uses(
            "use matrix_sdk::Room;\n// matrix_sdk in a comment\nlet id: ruma::OwnedRoomId;\nuse crate::engine::ids::RoomId;\n"
        ),
        vec![
            "1: use matrix_sdk::Room;".to_owned(),
            "3: let id: ruma::OwnedRoomId;".to_owned()
        ]
    );
}
