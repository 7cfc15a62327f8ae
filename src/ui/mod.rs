//! The GTK and libadwaita side of Sotto. It talks to the engine only through the engine's
//! public API, through the bridge in `bridge`.

pub mod account_settings;
pub mod application;
pub mod autostart;
pub mod avatars;
pub mod bridge;
pub mod dialogs;
pub mod diff_store;
pub mod error_text;
pub mod file_choosers;
pub mod greeter;
pub mod gsettings;
pub mod links;
pub mod mnemonic_names;
pub mod notifications;
pub mod portal;
pub mod preferences;
pub mod room_details;
pub mod room_list;
pub mod room_view;
pub mod text;
pub mod trust;
pub mod widgets;
pub mod window;

use gtk::{gdk, gio};

use crate::config::RESOURCE_BASE;

/// Chooses how GTK draws, from the environment, before GTK starts. Call it first thing in
/// `main`, before any other thread exists: it may set environment variables.
///
/// GTK 4.8 draws with OpenGL by default, and on X11 it loads the OpenGL driver when it opens
/// the display, whatever it later draws with. Without a GPU driver (no render node in
/// `/dev/dri`, as in a virtual machine or under Xvfb) that driver is Mesa's llvmpipe, which
/// draws on the CPU: loading it (LLVM and the software rasteriser) took about 60 ms and kept
/// about 50 MB resident in Sotto's start, and drawing through it is slower than GTK's own
/// cairo renderer. GTK does the same from 4.14 on ("don't use GPU renderers with
/// llvmpipe"). So:
/// - `GSK_RENDERER` unset and no render node: draw with cairo, and do not load OpenGL;
/// - `GSK_RENDERER=cairo` set by the person: do not load OpenGL, which would draw nothing;
/// - otherwise (a GPU, or another renderer asked for) GTK decides as usual.
pub fn choose_renderer() {
    let renderer = std::env::var_os("GSK_RENDERER");
    let cairo = match renderer.as_deref() {
        None => !has_gpu_render_node(),
        Some(name) => name == "cairo",
    };
    if !cairo {
        return;
    }
    let debug = std::env::var("GDK_DEBUG").unwrap_or_default();
    let debug = if debug
        .split([',', ':', ';', ' '])
        .any(|flag| flag == "gl-disable")
    {
        debug
    } else if debug.is_empty() {
        "gl-disable".to_owned()
    } else {
        format!("{debug},gl-disable")
    };
    // SAFETY: called before any other thread exists (see above), so nothing reads the
    // environment meanwhile.
    unsafe {
        if renderer.is_none() {
            std::env::set_var("GSK_RENDERER", "cairo");
        }
        std::env::set_var("GDK_DEBUG", debug);
    }
}

/// True when a GPU driver offers a render node (`/dev/dri/renderD128` and so on).
fn has_gpu_render_node() -> bool {
    std::fs::read_dir("/dev/dri").is_ok_and(|entries| {
        entries
            .flatten()
            .any(|entry| entry.file_name().to_string_lossy().starts_with("renderD"))
    })
}

/// Starts GTK and libadwaita and registers Sotto's resources. Fails without a display.
pub fn init() -> Result<(), gtk::glib::BoolError> {
    // Before GTK and the engine start their threads.
    crate::memory::limit_arenas();
    gtk::init()?;
    adw::init()?;
    register_resources();
    crate::engine::html::set_wording(text::word);
    mnemonic_names::install();
    if let Some(display) = gdk::Display::default() {
        gtk::IconTheme::for_display(&display).add_resource_path(&format!("{RESOURCE_BASE}/icons"));
    }
    Ok(())
}

fn register_resources() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        gio::resources_register_include!("sotto.gresource")
            .expect("the bundled resources are valid");
    });
}
