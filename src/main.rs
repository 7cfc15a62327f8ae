use std::process::ExitCode;

use sotto::i18n::gettext;

fn main() -> ExitCode {
    sotto::startup_trace::mark("main");
    // Before any thread starts: it may set environment variables.
    sotto::ui::choose_renderer();
    let filter = sotto::logging::filter_from_env();
    let verbose = sotto::logging::is_verbose(&filter);
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .event_format(sotto::logging::EventOnly)
        .with_writer(std::io::stderr)
        .init();
    sotto::i18n::init();
    if verbose {
        eprintln!(
            "{}",
            gettext(
                "Warning: RUST_LOG turns on detailed logging. These lines name the people, rooms and devices you talk to; do not share them publicly."
            )
        );
    }
    // The engine restores the account while GTK starts.
    sotto::ui::window::begin_head_start(sotto::ui::application::accounts_from_env());

    if let Err(err) = sotto::ui::init() {
        eprintln!(
            "{}",
            gettext(
                "Sotto needs a graphical session (Wayland or X11) and could not open a display."
            )
        );
        tracing::debug!("GTK could not start: {err}");
        return ExitCode::FAILURE;
    }
    sotto::startup_trace::mark("GTK and libadwaita started");
    let code = sotto::ui::application::run();
    ExitCode::from(code.get())
}
