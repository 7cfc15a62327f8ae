//! The application: actions, accelerators, the About window, and the main window.

use std::cell::{Cell, RefCell};

use adw::prelude::*;
use gtk::{gio, glib};

use crate::config::{APP_ID, RESOURCE_BASE, VERSION};
use crate::engine::accounts::Accounts;
use crate::engine::ids::{OwnedRoomId, OwnedUserId, UserId};
use crate::engine::paths::Paths;
use crate::engine::secrets::SecretStore;
use crate::i18n::gettext;
use crate::ui::portal::{Backend, BackgroundAnswer};
use crate::ui::window::Window;

thread_local! {
    /// The accounts of this process's windows and background work, once one started.
    static ACCOUNTS: RefCell<Option<Accounts>> = const { RefCell::new(None) };
    /// Keeps the application running without a window while "Run in background" is on.
    static HOLD: RefCell<Option<gio::ApplicationHoldGuard>> = const { RefCell::new(None) };
    /// Set when the Background portal does not allow running in the background.
    static BACKGROUND_DENIED: Cell<bool> = const { Cell::new(false) };
}

/// Creates the application with its actions; `activate` opens the main window.
pub fn build() -> adw::Application {
    let app = adw::Application::builder()
        .application_id(APP_ID)
        .resource_base_path(RESOURCE_BASE)
        .build();
    add_actions(&app);
    app.connect_startup(|app| {
        keep_running_in_background(app);
        // Started at login (`--gapplication-service`): no window, only the accounts.
        if app.flags().contains(gio::ApplicationFlags::IS_SERVICE) {
            tracing::info!("starting in the background");
            start_in_background(app);
        }
    });
    app.connect_window_removed(|app, _| {
        // Without the hold, the last window going ends Sotto: nothing to hand back.
        if app.windows().is_empty() && keeps_running_in_background() {
            compact_when_windowless(app);
        }
    });
    app.connect_activate(|app| {
        crate::startup_trace::mark("application activated");
        present_main_window(app);
    });
    app
}

/// How long Sotto waits after its last window went (or after a start without one) before
/// it hands back the memory that served the window: the widgets are gone by then, and the
/// sync that followed has settled.
const WINDOWLESS_SETTLE: std::time::Duration = std::time::Duration::from_secs(3);

/// Once Sotto runs without a window, gives the system back the memory that served one: the
/// allocator's free pages, and the pages of GTK's and Sotto's code and data files that only
/// this process holds (see [`crate::memory::page_out_mapped_files`]). Off the main loop.
fn compact_when_windowless(app: &adw::Application) {
    let app = app.downgrade();
    glib::timeout_add_local_once(WINDOWLESS_SETTLE, move || {
        let Some(app) = app.upgrade() else {
            return;
        };
        if !app.windows().is_empty() {
            return;
        }
        crate::ui::avatars::forget();
        crate::ui::bridge::runtime().spawn_blocking(|| {
            crate::memory::release_free_memory();
            let paged = crate::memory::page_out_mapped_files();
            let heap = crate::memory::heap_use();
            tracing::info!(
                "without a window: mapped files resident {} MB, {} MB before; heap {} MB in \
                 use, {} MB free in the allocator",
                paged.after_kib / 1024,
                paged.before_kib / 1024,
                heap.in_use_kib / 1024,
                heap.free_kib / 1024,
            );
            crate::startup_trace::mark("memory handed back without a window");
        });
    });
}

/// Follows the "Run in background" setting: while it is on, closing the last window
/// leaves Sotto running (syncing and notifying); Quit ends it. Through the portals, turning
/// it on (or starting with it on) asks the Background portal too, and a desktop that does
/// not allow it wins.
fn keep_running_in_background(app: &adw::Application) {
    let settings = crate::ui::gsettings::settings();
    let was_on = Cell::new(false);
    let follow = glib::clone!(
        #[weak]
        app,
        move |settings: &gio::Settings| {
            let on = settings.boolean("run-in-background");
            if on && !was_on.get() && Backend::detect() == Backend::Portal {
                let app = app.downgrade();
                crate::ui::bridge::spawn_ui(async move {
                    match gio::bus_get_future(gio::BusType::Session).await {
                        Ok(connection) => {
                            if let Some(app) = app.upgrade() {
                                ask_to_run_in_background(&app, &connection).await;
                            }
                        }
                        Err(err) => tracing::warn!("no session bus for the portals: {err}"),
                    }
                });
            }
            was_on.set(on);
            update_hold(&app);
        }
    );
    follow(&settings);
    settings.connect_changed(Some("run-in-background"), move |settings, _| {
        follow(settings);
    });
    // The handler lives as long as the settings object.
    std::mem::forget(settings);
}

/// Holds the application while "Run in background" is on and the desktop allows it.
fn update_hold(app: &adw::Application) {
    let on = crate::ui::gsettings::settings().boolean("run-in-background")
        && !BACKGROUND_DENIED.with(Cell::get);
    HOLD.with(|hold| {
        let mut hold = hold.borrow_mut();
        match (on, hold.is_some()) {
            (true, false) => *hold = Some(app.hold()),
            // Without windows, dropping the hold ends the application.
            (false, true) => *hold = None,
            _ => {}
        }
    });
}

/// Whether closing the last window leaves Sotto running.
pub fn keeps_running_in_background() -> bool {
    HOLD.with(|hold| hold.borrow().is_some())
}

/// Asks the Background portal on `connection` to let Sotto run in the background (and to
/// start it at login as last granted), and follows its answer.
pub async fn ask_to_run_in_background(
    app: &adw::Application,
    connection: &gio::DBusConnection,
) -> BackgroundAnswer {
    let autostart = crate::ui::gsettings::settings().boolean("start-at-login");
    let answer = crate::ui::autostart::request_through_portal(connection, autostart).await;
    follow_background_answer(app, answer);
    answer
}

/// Follows the Background portal's `answer`: when it does not allow running in the
/// background, closing the last window ends Sotto.
pub fn follow_background_answer(app: &adw::Application, answer: BackgroundAnswer) {
    let denied = match answer {
        BackgroundAnswer::Granted { background, .. } => !background,
        BackgroundAnswer::Refused => true,
        BackgroundAnswer::NoPortal | BackgroundAnswer::Failed => {
            tracing::info!(
                "the Background portal did not answer; running in the background as set"
            );
            return;
        }
    };
    if denied {
        tracing::info!(
            "the desktop does not allow running in the background: closing the window quits Sotto"
        );
    }
    BACKGROUND_DENIED.with(|slot| slot.set(denied));
    update_hold(app);
}

/// Makes `accounts` the one of this process (a window opened later shows it) and notifies
/// for its accounts.
pub fn adopt_accounts(app: &adw::Application, accounts: &Accounts) {
    ACCOUNTS.with(|slot| {
        slot.replace(Some(accounts.clone()));
    });
    crate::ui::notifications::watch_accounts(app, accounts);
}

/// The accounts of this process, once a window or the background start took one.
pub fn adopted_accounts() -> Option<Accounts> {
    ACCOUNTS.with(|slot| slot.borrow().clone())
}

/// Runs the accounts without a window: they sync and notify. The set is the one of
/// this process, else the one the head start restores.
pub fn start_in_background(app: &adw::Application) {
    let accounts = adopted_accounts()
        .or_else(|| crate::ui::window::take_head_start().map(|h| h.into_accounts()))
        .unwrap_or_else(accounts_from_env);
    adopt_accounts(app, &accounts);
    crate::ui::bridge::runtime().spawn(async move { accounts.run_all().await });
    // After any activation the start-up might have brought (none: no window).
    glib::idle_add_local_once(|| crate::startup_trace::mark("running in the background"));
    compact_when_windowless(app);
}

/// Builds and runs the application until its last window closes.
pub fn run() -> glib::ExitCode {
    glib::set_application_name("Sotto");
    gtk::Window::set_default_icon_name(APP_ID);
    build().run()
}

/// The main window of `app`, created on first use.
pub fn present_main_window(app: &adw::Application) -> Window {
    let window = app
        .windows()
        .into_iter()
        .find_map(|w| w.downcast::<Window>().ok())
        .unwrap_or_else(|| {
            let window = Window::new(app);
            crate::startup_trace::mark("main window built");
            match (crate::ui::window::take_head_start(), adopted_accounts()) {
                (Some(head_start), _) => window.start_head_start(head_start),
                // Opened again after running in the background: what runs is taken over.
                (None, Some(accounts)) => window.start(accounts),
                (None, None) => window.start(accounts_from_env()),
            }
            window
        });
    GtkWindowExt::present(&window);
    crate::startup_trace::mark("main window presented");
    if crate::startup_trace::enabled()
        && let Some(clock) = window.frame_clock()
    {
        let handler = std::rc::Rc::new(std::cell::Cell::new(None));
        let slot = handler.clone();
        handler.set(Some(clock.connect_after_paint(move |clock| {
            crate::startup_trace::mark("first window frame painted");
            if let Some(id) = slot.take() {
                clock.disconnect(id);
            }
        })));
    }
    window
}

/// The main window whose set of accounts holds `user_id`.
fn window_of_account(app: &adw::Application, user_id: &UserId) -> Option<Window> {
    app.windows()
        .into_iter()
        .filter_map(|w| w.downcast::<Window>().ok())
        .find(|w| {
            w.accounts()
                .and_then(|p| p.list().ok())
                .is_some_and(|accounts| accounts.iter().any(|a| a.user_id == user_id))
        })
}

/// The accounts Sotto opens: their folders from the environment (`XDG_*`), their secrets in
/// the Secret Service.
pub fn accounts_from_env() -> Accounts {
    Accounts::new(Paths::from_env(), SecretStore::new())
}

fn add_actions(app: &adw::Application) {
    let quit = gio::ActionEntry::builder("quit")
        .activate(|app: &adw::Application, _, _| {
            // Closing the windows lets them save their state first.
            for window in app.windows() {
                window.close();
            }
            app.quit();
        })
        .build();
    let about = gio::ActionEntry::builder("about")
        .activate(|app: &adw::Application, _, _| {
            show_about(app);
        })
        .build();
    let open_room = gio::ActionEntry::builder("open-room")
        .parameter_type(Some(&<(String, String)>::static_variant_type()))
        .activate(|app: &adw::Application, _, target| {
            let Some((account, room_id)) = target
                .and_then(|t| t.get::<(String, String)>())
                .and_then(|(account, room_id)| {
                    Some((
                        OwnedUserId::try_from(account).ok()?,
                        OwnedRoomId::try_from(room_id).ok()?,
                    ))
                })
            else {
                return;
            };
            let window = window_of_account(app, &account)
                .or_else(|| {
                    // No window shows this account (it ran in the background).
                    let accounts = crate::ui::notifications::accounts_of(&account)?;
                    let window = Window::new(app);
                    window.start(accounts);
                    Some(window)
                })
                .unwrap_or_else(|| present_main_window(app));
            GtkWindowExt::present(&window);
            window.open_room_of(&account, &room_id);
        })
        .build();
    app.add_action_entries([quit, about, open_room]);
    app.set_accels_for_action("app.quit", &["<Control>q"]);
    app.set_accels_for_action("window.close", &["<Control>w"]);
    app.set_accels_for_action("win.show-help-overlay", &["<Control>question"]);
    app.set_accels_for_action("win.preferences", &["<Control>comma"]);
    app.set_accels_for_action("win.search", &["<Control>f"]);
}

/// Shows the About window over the active window.
pub fn show_about(app: &adw::Application) -> adw::AboutWindow {
    let about = adw::AboutWindow::builder()
        .application_name("Sotto")
        .application_icon(APP_ID)
        .version(VERSION)
        .developer_name(gettext("The Sotto developers"))
        .comments(gettext(
            "End-to-end encrypted Matrix chat. Your keys and tokens never leave this device.",
        ))
        .license_type(gtk::License::Gpl30)
        // Translators: put your names here, one per line.
        .translator_credits(gettext("translator-credits"))
        .modal(true)
        .build();
    about.set_transient_for(app.active_window().as_ref());
    GtkWindowExt::present(&about);
    about
}
