//! Compiles what the binary carries or finds beside itself when it is not installed by
//! meson: the GResource bundle, the GSettings schema and the translations.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!("cargo:rerun-if-changed=data/resources");
    // The templates live beside the code that binds them (src/ui/…/*.ui).
    for template in templates(Path::new("src/ui")) {
        println!("cargo:rerun-if-changed={}", template.display());
    }
    println!("cargo:rerun-if-changed=data/chat.sotto.Sotto.gschema.xml.in");
    println!("cargo:rerun-if-changed=po");
    println!("cargo:rerun-if-env-changed=SOTTO_APP_ID");
    // Read by the release link (tools/layout/ordered-gcc), which cargo does not watch:
    // a new profile rebuilds the crate so that its programs are linked with it.
    println!("cargo:rerun-if-changed=data/layout/background.txt");
    println!("cargo:rerun-if-env-changed=SOTTO_CODE_LAYOUT");

    glib_build_tools::compile_resources(
        &["data/resources", "src"],
        "data/resources/resources.gresource.xml",
        "sotto.gresource",
    );
    compile_schema(&out);
    compile_translations(&out);
}

/// The GtkBuilder templates under `dir`.
fn templates(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)
        .expect("src/ui is readable")
        .flatten()
    {
        let path = entry.path();
        if path.is_dir() {
            found.extend(templates(&path));
        } else if path.extension().is_some_and(|e| e == "ui") {
            found.push(path);
        }
    }
    found
}

fn run(command: &mut Command, what: &str) {
    match command.status() {
        Ok(status) if status.success() => {}
        Ok(status) => panic!("{what} failed ({status})"),
        Err(err) => {
            panic!("{what} could not run ({err}); install the Debian package named in README.md")
        }
    }
}

/// The schema compiled into OUT_DIR/schemas, used when no installed schema is found.
fn compile_schema(out: &Path) {
    let app_id = std::env::var("SOTTO_APP_ID").unwrap_or_else(|_| "chat.sotto.Sotto".into());
    let template = std::fs::read_to_string("data/chat.sotto.Sotto.gschema.xml.in")
        .expect("data/chat.sotto.Sotto.gschema.xml.in is readable");
    let dir = out.join("schemas");
    std::fs::create_dir_all(&dir).expect("OUT_DIR is writable");
    std::fs::write(
        dir.join(format!("{app_id}.gschema.xml")),
        template.replace("@APP_ID@", &app_id),
    )
    .expect("OUT_DIR is writable");
    run(
        Command::new("glib-compile-schemas")
            .arg("--strict")
            .arg(&dir),
        "glib-compile-schemas (package libglib2.0-dev-bin)",
    );
}

/// Each language of po/LINGUAS as OUT_DIR/locale/LANG/LC_MESSAGES/sotto.mo.
fn compile_translations(out: &Path) {
    let Ok(linguas) = std::fs::read_to_string("po/LINGUAS") else {
        return;
    };
    for lang in linguas
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let po = Path::new("po").join(format!("{lang}.po"));
        if !po.exists() {
            continue;
        }
        let dir = out.join("locale").join(lang).join("LC_MESSAGES");
        std::fs::create_dir_all(&dir).expect("OUT_DIR is writable");
        run(
            Command::new("msgfmt")
                .arg("--check")
                .arg("-o")
                .arg(dir.join("sotto.mo"))
                .arg(&po),
            "msgfmt (package gettext)",
        );
    }
}
