//! The files installed around the binary (desktop entry, AppStream metainfo, GSettings
//! schema), the gettext file list and the Flatpak manifest, checked with the validators
//! a distribution or Flathub runs. A missing validator fails the test, naming the Debian
//! package to install: a skipped check would look like a passed one.

use std::collections::BTreeSet;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const APP_ID: &str = "chat.sotto.Sotto";

use crate::harness::repo_root;

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn write(path: &Path, contents: &str) {
    fs::write(path, contents).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

/// Writes `template` (relative to the repository root) into `dir/name` with `@APP_ID@`
/// replaced, as meson's configure_file and build.rs do.
fn substitute(template: &str, dir: &Path, name: &str) -> PathBuf {
    let text = read(&repo_root().join(template)).replace("@APP_ID@", APP_ID);
    let path = dir.join(name);
    write(&path, &text);
    path
}

/// Whether a command must print nothing on success, or may print a summary.
#[derive(Clone, Copy, PartialEq)]
enum Output {
    MustBeEmpty,
    MayPrint,
}

/// Runs `command` and fails the test unless it exits 0 (and, with `Output::MustBeEmpty`,
/// prints nothing: validators print hints and warnings yet still exit 0).
fn assert_succeeds(command: &mut Command, debian_package: &str, output_rule: Output) {
    let program = command.get_program().to_string_lossy().into_owned();
    let output = match command.output() {
        Ok(output) => output,
        Err(e) if e.kind() == ErrorKind::NotFound => panic!(
            "`{program}` is not installed; install the Debian package `{debian_package}` \
             (apt install {debian_package})"
        ),
        Err(e) => panic!("cannot run `{program}`: {e}"),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let printed = !stdout.trim().is_empty() || !stderr.trim().is_empty();
    assert!(
        output.status.success() && !(output_rule == Output::MustBeEmpty && printed),
        "{command:?} did not pass ({}):\n{stdout}{stderr}",
        output.status
    );
}

/// Merges translations into `template` the way meson's i18n.merge_file does, writing
/// `dir/output_name`.
fn merge_translations(kind: &str, template: &Path, dir: &Path, output_name: &str) -> PathBuf {
    let merged = dir.join(output_name);
    assert_succeeds(
        Command::new("msgfmt")
            .arg(format!("--{kind}"))
            .arg(format!("--template={}", template.display()))
            .arg("-d")
            .arg(repo_root().join("po"))
            .arg("-o")
            .arg(&merged),
        "gettext",
        Output::MustBeEmpty,
    );
    merged
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("cannot create a temporary directory")
}

#[test]
fn desktop_file_is_valid() {
    let dir = temp_dir();
    let template = substitute(
        "data/chat.sotto.Sotto.desktop.in.in",
        dir.path(),
        &format!("{APP_ID}.desktop.in"),
    );
    let desktop = merge_translations(
        "desktop",
        &template,
        dir.path(),
        &format!("{APP_ID}.desktop"),
    );
    assert_succeeds(
        Command::new("desktop-file-validate").arg(&desktop),
        "desktop-file-utils",
        Output::MustBeEmpty,
    );
}

#[test]
fn metainfo_is_valid() {
    let dir = temp_dir();
    let template = substitute(
        "data/chat.sotto.Sotto.metainfo.xml.in.in",
        dir.path(),
        &format!("{APP_ID}.metainfo.xml.in"),
    );
    let metainfo = merge_translations(
        "xml",
        &template,
        dir.path(),
        &format!("{APP_ID}.metainfo.xml"),
    );
    // --strict fails on every issue above pedantic, warnings and infos included.
    assert_succeeds(
        Command::new("appstreamcli")
            .args(["validate", "--no-net", "--strict"])
            .arg(&metainfo),
        "appstream",
        Output::MayPrint,
    );
}

#[test]
fn gsettings_schema_compiles() {
    let dir = temp_dir();
    substitute(
        "data/chat.sotto.Sotto.gschema.xml.in",
        dir.path(),
        &format!("{APP_ID}.gschema.xml"),
    );
    assert_succeeds(
        Command::new("glib-compile-schemas")
            .args(["--strict", "--dry-run"])
            .arg(dir.path()),
        "libglib2.0-dev-bin",
        Output::MustBeEmpty,
    );
}

/// Every file below `dir`, as paths relative to the repository root with `/` separators.
fn files_below(dir: &str) -> Vec<String> {
    fn walk(path: &Path, found: &mut Vec<PathBuf>) {
        let entries =
            fs::read_dir(path).unwrap_or_else(|e| panic!("cannot list {}: {e}", path.display()));
        for entry in entries {
            let path = entry.expect("cannot read a directory entry").path();
            if path.is_dir() {
                walk(&path, found);
            } else {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(&repo_root().join(dir), &mut found);
    found
        .iter()
        .map(|path| {
            let relative = path
                .strip_prefix(repo_root())
                .expect("walked outside the repository");
            relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/")
        })
        .collect()
}

/// The calls xgettext extracts from Rust code, as `name(`: the `--keyword=` arguments of
/// po/meson.build, so a new wrapper such as `gettext_f` needs adding in one place only.
fn gettext_calls() -> Vec<String> {
    let calls: Vec<String> = read(&repo_root().join("po/meson.build"))
        .split("--keyword=")
        .skip(1)
        .map(|rest| {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            format!("{name}(")
        })
        .collect();
    assert!(
        calls.iter().any(|call| call == "gettext("),
        "po/meson.build passes no --keyword=gettext to xgettext"
    );
    calls
}

/// Whether xgettext has to read `file` (relative to the repository root).
fn needs_translation(file: &str, gettext_calls: &[String]) -> bool {
    if file.ends_with(".desktop.in.in") || file.ends_with(".metainfo.xml.in.in") {
        true
    } else if file.ends_with(".rs") {
        let text = read(&repo_root().join(file));
        gettext_calls
            .iter()
            .any(|call| text.contains(call.as_str()))
    } else if file.ends_with(".ui") {
        read(&repo_root().join(file)).contains("translatable=\"yes\"")
    } else {
        false
    }
}

#[test]
fn potfiles_lists_every_file_with_translatable_strings() {
    let listed: BTreeSet<String> = read(&repo_root().join("po/POTFILES.in"))
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_owned)
        .collect();

    let calls = gettext_calls();
    let needed: BTreeSet<String> = ["src", "data"]
        .iter()
        .flat_map(|dir| files_below(dir))
        .filter(|file| needs_translation(file, &calls))
        .collect();

    let unlisted: Vec<&String> = needed.difference(&listed).collect();
    assert!(
        unlisted.is_empty(),
        "po/POTFILES.in misses these files with translatable strings: {unlisted:?}"
    );
    let missing: Vec<&String> = listed
        .iter()
        .filter(|file| !repo_root().join(file).is_file())
        .collect();
    assert!(
        missing.is_empty(),
        "po/POTFILES.in lists files that do not exist: {missing:?}"
    );
}

fn read_json(relative: &str) -> Value {
    let path = repo_root().join(relative);
    serde_json::from_str(&read(&path))
        .unwrap_or_else(|e| panic!("{} is not valid JSON: {e}", path.display()))
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .map(|items| items.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// `name-version` of every crate Cargo.lock takes from a registry.
fn registry_crates_in_lockfile() -> Vec<String> {
    #[derive(Default)]
    struct Package {
        name: Option<String>,
        version: Option<String>,
        from_registry: bool,
    }
    fn value_of<'a>(line: &'a str, key: &str) -> Option<&'a str> {
        line.strip_prefix(key)?
            .strip_prefix(" = ")?
            .strip_prefix('"')?
            .strip_suffix('"')
    }

    let mut packages: Vec<Package> = Vec::new();
    let mut current: Option<Package> = None;
    for line in read(&repo_root().join("Cargo.lock")).lines() {
        if line.starts_with('[') {
            packages.extend(current.take());
            if line == "[[package]]" {
                current = Some(Package::default());
            }
            continue;
        }
        let Some(package) = current.as_mut() else {
            continue;
        };
        if let Some(name) = value_of(line, "name") {
            package.name = Some(name.to_owned());
        } else if let Some(version) = value_of(line, "version") {
            package.version = Some(version.to_owned());
        } else if let Some(source) = value_of(line, "source") {
            package.from_registry =
                source.starts_with("registry+") || source.starts_with("sparse+");
        }
    }
    packages.extend(current);

    packages
        .into_iter()
        .filter(|package| package.from_registry)
        .map(|package| {
            let name = package.name.expect("a Cargo.lock package without a name");
            let version = package
                .version
                .expect("a Cargo.lock package without a version");
            format!("{name}-{version}")
        })
        .collect()
}

#[test]
fn flatpak_manifest_is_confined_and_builds_offline() {
    let manifest = read_json("flatpak/chat.sotto.Sotto.json");

    assert_eq!(manifest["app-id"], APP_ID);
    assert_eq!(manifest["command"], "sotto");
    assert_eq!(manifest["runtime"], "org.gnome.Platform");
    assert!(
        strings(&manifest["sdk-extensions"]).contains(&"org.freedesktop.Sdk.Extension.rust-stable"),
        "the manifest must use the rust-stable SDK extension"
    );

    let finish_args = strings(&manifest["finish-args"]);
    assert!(
        !finish_args
            .iter()
            .any(|arg| arg.starts_with("--filesystem")),
        "the sandbox must get no --filesystem access: {finish_args:?}"
    );
    let mut sorted = finish_args.clone();
    sorted.sort_unstable();
    let mut expected = vec![
        "--share=ipc",
        "--socket=wayland",
        "--socket=fallback-x11",
        "--device=dri",
        "--share=network",
        "--talk-name=org.freedesktop.secrets",
    ];
    expected.sort_unstable();
    assert_eq!(
        sorted, expected,
        "finish-args differ from the agreed sandbox permissions"
    );

    let sources = read_json("flatpak/cargo-sources.json");
    let sources = sources
        .as_array()
        .expect("cargo-sources.json is not a JSON array");
    let vendored: BTreeSet<&str> = sources
        .iter()
        .flat_map(|source| {
            let dest = source["dest"]
                .as_str()
                .and_then(|dest| dest.rsplit('/').next());
            let url = source["url"]
                .as_str()
                .and_then(|url| url.rsplit('/').next())
                .and_then(|file| file.strip_suffix(".crate"));
            [dest, url]
        })
        .flatten()
        .collect();
    let stale: Vec<String> = registry_crates_in_lockfile()
        .into_iter()
        .filter(|krate| !vendored.contains(krate.as_str()))
        .collect();
    assert!(
        stale.is_empty(),
        "flatpak/cargo-sources.json lacks crates from Cargo.lock (run flatpak/update-cargo-sources): {stale:?}"
    );

    let replaces_crates_io = sources.iter().any(|source| {
        source["dest"] == "cargo"
            && source["contents"]
                .as_str()
                .is_some_and(|config| config.contains("replace-with = \"vendored-sources\""))
    });
    assert!(
        replaces_crates_io,
        "cargo-sources.json must point cargo at the vendored crates (an inline cargo/config)"
    );
}

#[test]
fn german_translation_is_complete() {
    // What `preset: 'glib'` in po/meson.build puts before the `args:` listed there (see
    // PRESET_ARGS in meson's mesonbuild/modules/i18n.py), so the template below matches
    // the build's po/sotto.pot. The preset's --flag arguments are left out: they only mark
    // the format strings of GLib's printf-like C functions, which Rust code never calls.
    const GLIB_PRESET_ARGS: &[&str] = &[
        "--from-code=UTF-8",
        "--add-comments",
        "--keyword=_",
        "--keyword=N_",
        "--keyword=C_:1c,2",
        "--keyword=NC_:1c,2",
        "--keyword=g_dcgettext:2",
        "--keyword=g_dngettext:2,3",
        "--keyword=g_dpgettext2:2c,3",
    ];

    /// Runs a gettext tool in the C locale, so its statistics read the same everywhere,
    /// and returns what it printed; fails the test unless it exits 0.
    fn printed_by(command: &mut Command) -> String {
        command.env("LC_ALL", "C").env_remove("LANGUAGE");
        let program = command.get_program().to_string_lossy().into_owned();
        let output = match command.output() {
            Ok(output) => output,
            Err(e) if e.kind() == ErrorKind::NotFound => panic!(
                "`{program}` is not installed; install the Debian package `gettext` \
                 (apt install gettext)"
            ),
            Err(e) => panic!("cannot run `{program}`: {e}"),
        };
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            output.status.success(),
            "{command:?} did not pass ({}):\n{printed}",
            output.status
        );
        printed
    }

    let dir = temp_dir();
    let po = repo_root().join("po");

    // Every language meson builds must have a .po file that msgfmt accepts.
    let linguas: Vec<String> = read(&po.join("LINGUAS"))
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .flat_map(str::split_whitespace)
        .map(str::to_owned)
        .collect();
    assert!(
        linguas.iter().any(|language| language == "de"),
        "po/LINGUAS does not list de, so po/de.po is neither built nor installed"
    );
    for language in &linguas {
        let po_file = po.join(format!("{language}.po"));
        assert!(
            po_file.is_file(),
            "po/LINGUAS lists {language} but there is no {}",
            po_file.display()
        );
        assert_succeeds(
            Command::new("msgfmt")
                .arg("--check")
                .arg("-o")
                .arg(dir.path().join(format!("{language}.mo")))
                .arg(&po_file),
            "gettext",
            Output::MustBeEmpty,
        );
    }

    // The template, built as meson's sotto-pot target does: the quoted `--` arguments of
    // po/meson.build (comments cut off first) over the files of po/POTFILES.in. xgettext
    // picks the parser by file name, the desktop and metainfo templates included.
    let meson_args: Vec<String> = read(&po.join("meson.build"))
        .lines()
        .map(|line| line.split('#').next().unwrap_or_default())
        .flat_map(|code| code.split('\'').skip(1).step_by(2))
        .filter(|quoted| quoted.starts_with("--"))
        .map(str::to_owned)
        .collect();
    assert!(
        meson_args.iter().any(|arg| arg == "--keyword=gettext"),
        "found no '--keyword=gettext' argument in po/meson.build: {meson_args:?}"
    );
    let potfiles: Vec<String> = read(&po.join("POTFILES.in"))
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_owned)
        .collect();
    let template = dir.path().join("sotto.pot");
    // xgettext warns that it reads .rs files as C: po/meson.build explains why.
    assert_succeeds(
        Command::new("xgettext")
            .current_dir(repo_root())
            .args(GLIB_PRESET_ARGS)
            .args(&meson_args)
            .arg("-o")
            .arg(&template)
            .args(&potfiles),
        "gettext",
        Output::MayPrint,
    );

    // Merged without fuzzy matching, a changed source string shows up as untranslated
    // instead of as a guess from a similar old one.
    let merged = dir.path().join("de.po");
    assert_succeeds(
        Command::new("msgmerge")
            .args(["--quiet", "--no-fuzzy-matching", "-o"])
            .arg(&merged)
            .arg(po.join("de.po"))
            .arg(&template),
        "gettext",
        Output::MustBeEmpty,
    );
    let statistics = printed_by(
        Command::new("msgfmt")
            .args(["--check", "--statistics", "-o"])
            .arg(dir.path().join("merged.mo"))
            .arg(&merged),
    );
    let complete = statistics.contains("translated message")
        && !statistics.contains("untranslated")
        && !statistics.contains("fuzzy");
    if !complete {
        let untranslated = printed_by(
            Command::new("msgattrib")
                .args(["--untranslated", "--no-obsolete"])
                .arg(&merged),
        );
        let fuzzy = printed_by(
            Command::new("msgattrib")
                .args(["--only-fuzzy", "--no-obsolete"])
                .arg(&merged),
        );
        panic!(
            "po/de.po is incomplete against the sources ({}); update it with \
             `meson compile -C <builddir> sotto-update-po` and translate these.\n\
             Untranslated:\n{untranslated}\nFuzzy:\n{fuzzy}",
            statistics.trim()
        );
    }
}

/// `tools/package --self-check`: the Debian control template and changelog, the files the
/// package would install against meson's install list, and shellcheck (when installed).
/// The package builds themselves are too slow for CI; this only catches drift in seconds.
#[test]
fn debian_packaging_self_check() {
    assert_succeeds(
        Command::new(repo_root().join("tools/package"))
            .arg("--self-check")
            .current_dir(repo_root()),
        "meson",
        Output::MayPrint,
    );
}

/// The release link's code layout (HACKING.md, "Code layout"): a program of 200 functions
/// linked through `tools/layout/ordered-gcc` with a profile naming ten of the last ones
/// must have those ten first, as `tools/layout/check` (which `tools/package` runs on the
/// packages) sees; the same program linked by plain `cc` must fail that check. The release
/// builds themselves are too slow for CI; this catches a broken wrapper or check.
#[test]
fn code_layout_places_the_profiled_functions_first() {
    let dir = temp_dir();
    let source: String = (0..200)
        .map(|i| format!("void f{i}(void) {{ __asm__ volatile(\".fill 2048, 1, 0x90\"); }}\n"))
        .chain(std::iter::once(
            "int main(void) { f0(); return 0; }\n".to_owned(),
        ))
        .collect();
    write(&dir.path().join("toy.c"), &source);
    let profile = dir.path().join("profile.txt");
    write(
        &profile,
        &(150..160).map(|i| format!("f{i}\n")).collect::<String>(),
    );
    assert_succeeds(
        Command::new("cc")
            .args(["-O1", "-ffunction-sections", "-c", "toy.c", "-o", "toy.o"])
            .current_dir(dir.path()),
        "build-essential",
        Output::MustBeEmpty,
    );
    // Only programs under a release folder are ordered (as cargo puts them).
    fs::create_dir(dir.path().join("release")).expect("cannot create the release folder");
    assert_succeeds(
        Command::new(repo_root().join("tools/layout/ordered-gcc"))
            .args(["toy.o", "-o", "release/ordered"])
            .env("SOTTO_CODE_LAYOUT", &profile)
            .env_remove("SOTTO_REAL_LINKER")
            .current_dir(dir.path()),
        "python3",
        Output::MayPrint,
    );
    let check = |program: &str| {
        Command::new(repo_root().join("tools/layout/check"))
            .arg(dir.path().join(program))
            .arg(&profile)
            .output()
            .expect("cannot run tools/layout/check")
    };
    let ordered = check("release/ordered");
    let report = String::from_utf8_lossy(&ordered.stdout);
    assert!(
        ordered.status.success() && report.contains("10 of the profile's 10 functions"),
        "the ordered link did not pass the check:\n{report}{}",
        String::from_utf8_lossy(&ordered.stderr)
    );
    assert_succeeds(
        Command::new("cc")
            .args(["toy.o", "-o", "release/plain"])
            .current_dir(dir.path()),
        "build-essential",
        Output::MustBeEmpty,
    );
    let plain = check("release/plain");
    assert!(
        !plain.status.success(),
        "a link without the layout passed the check:\n{}",
        String::from_utf8_lossy(&plain.stdout)
    );
}
