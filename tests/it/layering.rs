//! The engine stays headless: nothing under src/engine uses GTK, GLib or libadwaita.

use std::path::{Path, PathBuf};

const TOOLKIT_CRATES: [&str; 8] = [
    "gtk", "adw", "gdk", "gio", "glib", "gsk", "pango", "graphene",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/engine is readable") {
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

#[test]
fn engine_uses_no_toolkit_crate() {
    let engine = crate::harness::repo_root().join("src/engine");
    let mut files = Vec::new();
    rust_files(&engine, &mut files);
    assert!(files.len() > 3, "src/engine has its Rust files");
    let offenders: Vec<String> = files
        .iter()
        .flat_map(|file| {
            let text = std::fs::read_to_string(file).expect("a readable source file");
            toolkit_uses(&text)
                .into_iter()
                .map(move |hit| format!("{}:{hit}", file.display()))
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "src/engine must stay headless:\n{}",
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
    let pane = crate::harness::repo_root().join("src/ui/room_view");
    let mut files = Vec::new();
    rust_files(&pane, &mut files);
    assert!(files.len() > 3, "src/ui/room_view has its Rust files");
    let offenders: Vec<String> = files
        .iter()
        .flat_map(|file| {
            let text = std::fs::read_to_string(file).expect("a readable source file");
            window_uses(&text)
                .into_iter()
                .map(move |hit| format!("{}:{hit}", file.display()))
        })
        .collect();
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
