//! The accounts side of the main window: restore at start-up, sign in, the
//! offline banner, and what happens when the session ends elsewhere. The switcher between
//! accounts is in `account_switcher`, signing out in `sign_out`.

use std::ops::ControlFlow;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::glib;

use super::Window;
use crate::engine::EngineError;
use crate::engine::accounts::AccountEntry;
use crate::engine::accounts::Accounts;
use crate::engine::room_list::{RoomListHandle, RoomListUpdate, room_list};
use crate::engine::session::Session;
use crate::engine::sync::{AccountSync, SyncState};
use crate::i18n::gettext;
use crate::ui::bridge::{forward_stream, run_for, runtime, spawn_ui};
use crate::ui::error_text::describe;

/// A started room list: its handle and its changes.
type RoomList = (
    RoomListHandle,
    std::pin::Pin<Box<dyn futures_util::Stream<Item = RoomListUpdate> + Send>>,
);

/// How long the sync waits at start-up for the window's first frame at most.
const FIRST_FRAME_PATIENCE: std::time::Duration = std::time::Duration::from_millis(500);

/// The account the window shows, with what runs for it.
pub struct Active {
    pub(super) session: Session,
    sync: Option<AccountSync>,
    tasks: Vec<glib::JoinHandle<()>>,
    /// The emoji verifications of this account, once its sync runs.
    pub(super) verifications:
        Option<std::sync::Arc<crate::engine::trust::verification::Verifications>>,
}

impl Active {
    /// Stops what the window runs for this account; the account itself keeps running
    /// (syncing and notifying) until it is signed out or Sotto quits.
    pub fn stop(self) {
        for task in self.tasks {
            task.abort();
        }
    }
}

/// Restores `entry` and remembers it as the account shown.
pub(super) async fn restore_and_activate(
    accounts: &Accounts,
    entry: AccountEntry,
) -> Result<Session, StartProblem> {
    match accounts.open(&entry).await {
        Ok(session) => {
            if let Err(err) = accounts.set_active(&entry.user_id) {
                tracing::warn!("could not remember the active account: {err}");
            }
            Ok(session)
        }
        Err(error) => {
            // A keyring problem is not this account's fault: offer to try again.
            let keyring = matches!(
                error,
                EngineError::SecretServiceMissing
                    | EngineError::SecretServiceLocked
                    | EngineError::SecretServiceNoAnswer
            );
            Err(StartProblem {
                error,
                account: (!keyring).then_some(entry),
            })
        }
    }
}

/// Why the start-up could not show an account.
pub struct StartProblem {
    error: EngineError,
    /// The account that could not be restored, when it is one account's fault.
    account: Option<AccountEntry>,
}

/// A sync built but not started, with its room list (or why the list could not start).
type SyncAndRooms = crate::engine::Result<(AccountSync, crate::engine::Result<RoomList>)>;

/// What the start-up restored: the account shown first and, for a head start, its sync
/// (built, not started) and room list.
pub struct Restored {
    session: Session,
    sync_and_rooms: Option<SyncAndRooms>,
}

/// Restores the account of `accounts` shown first; `None` when there is none (then the
/// Secret Service is checked, before the person types anything). With `prepare_sync`,
/// also builds its sync and room list, which list the stored rooms without asking the
/// server anything.
async fn restore_first(
    accounts: Accounts,
    prepare_sync: bool,
) -> Result<Option<Restored>, StartProblem> {
    let problem = |error| StartProblem {
        error,
        account: None,
    };
    let entries = accounts.list_active_first().map_err(problem)?;
    let Some(entry) = entries.into_iter().next() else {
        accounts.check_secret_service().await.map_err(problem)?;
        return Ok(None);
    };
    // Reading the account's item tells as much about the Secret Service.
    let session = restore_and_activate(&accounts, entry).await?;
    let sync_and_rooms = if prepare_sync {
        Some(build_sync_and_rooms(&accounts, &session).await)
    } else {
        None
    };
    Ok(Some(Restored {
        session,
        sync_and_rooms,
    }))
}

/// The sync of `session` (the one that runs, else built, not started) and a room list.
async fn build_sync_and_rooms(accounts: &Accounts, session: &Session) -> SyncAndRooms {
    let (sync, _) = accounts.sync_of(session).await?;
    let rooms = room_list(&sync)
        .await
        .map(|(handle, updates)| (handle, Box::pin(updates) as _));
    Ok((sync, rooms))
}

/// The restore begun before the window exists (see [`begin_head_start`]).
pub struct HeadStart {
    accounts: Accounts,
    task: tokio::task::JoinHandle<Result<Option<Restored>, StartProblem>>,
}

impl HeadStart {
    /// The accounts, leaving the restore to finish on its own: what it opens is kept among
    /// the running accounts.
    pub fn into_accounts(self) -> Accounts {
        self.accounts
    }
}

static HEAD_START: std::sync::Mutex<Option<HeadStart>> = std::sync::Mutex::new(None);

/// Begins restoring the account of `accounts` shown first, on the engine's threads, while
/// GTK starts on this one (GTK takes ~0.1 s to start; the restore and the stored rooms
/// take about as long): the window's first frame can then show the rooms. The sync is
/// built but does not start before the window takes it over ([`Window::start_head_start`]),
/// so a second Sotto process, which only hands its activation over to the first one and
/// ends, never syncs the same account.
pub fn begin_head_start(accounts: Accounts) {
    crate::startup_trace::mark("head start begun");
    let task = runtime().spawn(restore_first(accounts.clone(), true));
    let previous = HEAD_START
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .replace(HeadStart { accounts, task });
    if let Some(previous) = previous {
        previous.task.abort();
    }
}

/// The head start begun by [`begin_head_start`], once.
pub fn take_head_start() -> Option<HeadStart> {
    HEAD_START
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take()
}

impl Window {
    /// Shows the signed-in accounts of `accounts`: the first one restored from its store, or the
    /// greeter when there is none.
    pub fn start(&self, accounts: Accounts) {
        self.adopt(&accounts);
        if self.imp().accounts.set(accounts).is_err() {
            tracing::warn!("the window already has its accounts");
        }
        self.start_accounts();
    }

    /// Like [`Window::start`], taking over what `head_start` restored.
    pub fn start_head_start(&self, head_start: HeadStart) {
        let HeadStart { accounts, task } = head_start;
        self.adopt(&accounts);
        if self.imp().accounts.set(accounts).is_err() {
            tracing::warn!("the window already has its accounts");
        }
        if task.is_finished() {
            // Done while GTK started: show the account before the first frame.
            match runtime().block_on(task) {
                Ok(restored) => self.show_restored(restored),
                Err(err) => {
                    tracing::warn!("the head start failed: {err}");
                    self.restore_accounts(None);
                }
            }
            return;
        }
        self.restore_accounts(Some(task));
    }

    /// Makes `accounts` the application's (its accounts notify, window or not).
    fn adopt(&self, accounts: &Accounts) {
        if let Some(app) = self.application().and_downcast::<adw::Application>() {
            crate::ui::application::adopt_accounts(&app, accounts);
        }
    }

    /// Shows what the start-up restored: the account, the greeter, or what went wrong.
    fn show_restored(&self, restored: Result<Option<Restored>, StartProblem>) {
        match restored {
            Ok(Some(restored)) => self.show_session_with(restored.session, restored.sync_and_rooms),
            Ok(None) => self.show_greeter(),
            Err(problem) => self.show_problem(&problem.error, problem.account),
        }
    }

    /// The set of accounts of this window.
    pub fn accounts(&self) -> Option<Accounts> {
        self.imp().accounts.get().cloned()
    }

    /// The account shown now.
    pub fn session(&self) -> Option<Session> {
        self.imp()
            .active
            .borrow()
            .as_ref()
            .map(|a| a.session.clone())
    }

    /// The sync of the account shown now, once it started.
    pub fn sync(&self) -> Option<AccountSync> {
        self.imp()
            .active
            .borrow()
            .as_ref()
            .and_then(|a| a.sync.clone())
    }

    /// The offline banner's text while it shows.
    pub fn offline_banner(&self) -> Option<String> {
        let imp = self.imp();
        imp.offline_revealer
            .reveals_child()
            .then(|| imp.offline_label.text().to_string())
    }

    pub(super) fn start_accounts(&self) {
        self.restore_accounts(None);
    }

    /// Restores the account shown first (or takes over `head_start`, which did) and shows
    /// it, the greeter, or what went wrong.
    fn restore_accounts(
        &self,
        head_start: Option<tokio::task::JoinHandle<Result<Option<Restored>, StartProblem>>>,
    ) {
        let Some(accounts) = self.accounts() else {
            return;
        };
        self.imp().main_stack.set_visible_child_name("loading");
        crate::startup_trace::mark("restoring the accounts");
        run_for(
            self,
            async move {
                if let Some(task) = head_start {
                    match task.await {
                        Ok(restored) => return restored,
                        Err(err) => tracing::warn!("the head start failed: {err}"),
                    }
                }
                restore_first(accounts, false).await
            },
            |window, restored| window.show_restored(restored),
        );
    }

    pub(super) fn setup_greeter(&self, greeter: &crate::ui::greeter::Greeter) {
        greeter.connect_submit(glib::clone!(
            #[weak(rename_to = window)]
            self,
            move |credentials| window.sign_in(credentials)
        ));
        greeter.connect_cancel(glib::clone!(
            #[weak(rename_to = window)]
            self,
            move || window.cancel_add_account()
        ));
    }

    /// Opens the account shown again from its store, after a setting that the client
    /// fixes when it is built changed ("encrypt only for verified devices"). The sync of
    /// the old client stops before the new one starts.
    pub fn reopen_session(&self) {
        let (Some(accounts), Some(active)) = (self.accounts(), self.imp().active.take()) else {
            return;
        };
        let entry = AccountEntry {
            user_id: active.session.user_id(),
            folder: active.session.folder().to_owned(),
        };
        tracing::info!("opening the account again to apply a changed setting");
        active.stop();
        self.leave_account_rooms();
        self.imp().main_stack.set_visible_child_name("loading");
        run_for(
            self,
            async move {
                accounts.running().stop(&entry.user_id).await;
                restore_and_activate(&accounts, entry).await
            },
            Self::show_opened,
        );
    }

    /// Shows the account that was opened, or why it could not be.
    pub(super) fn show_opened(&self, opened: Result<Session, StartProblem>) {
        match opened {
            Ok(session) => self.show_session(session),
            Err(problem) => self.show_problem(&problem.error, problem.account),
        }
    }

    /// Opens the greeter to sign in to one more account; Cancel goes back.
    pub(super) fn add_account(&self) {
        self.imp().account_popover.popdown();
        let greeter = self.greeter();
        greeter.set_cancellable(self.session().is_some());
        self.imp().main_stack.set_visible_child_name("greeter");
    }

    fn cancel_add_account(&self) {
        if self.session().is_some() {
            self.imp().main_stack.set_visible_child_name("session");
        }
    }

    /// Signs in with what the greeter holds: into a new device, or, after a soft logout of
    /// that same account, into the device and store it already has.
    fn sign_in(&self, credentials: crate::ui::greeter::Credentials) {
        let Some(accounts) = self.accounts() else {
            return;
        };
        let reauth = self
            .imp()
            .reauth
            .borrow()
            .clone()
            .filter(|entry| entry.user_id == credentials.username);
        let new_device = reauth.is_none();
        let password = credentials.password.clone();
        let signing_in = async move {
            let session = match &reauth {
                Some(entry) => {
                    accounts
                        .sign_in_again_keeping_store(entry, &credentials.password)
                        .await?
                }
                None => {
                    accounts
                        .login(
                            &credentials.homeserver,
                            &credentials.username,
                            &credentials.password,
                        )
                        .await?
                }
            };
            if let Err(err) = accounts.set_active(&session.user_id()) {
                tracing::warn!("could not remember the active account: {err}");
            }
            Ok::<_, EngineError>(session)
        };
        run_for(self, signing_in, move |window, result| {
            let greeter = window.greeter();
            match result {
                Ok(session) => {
                    window.imp().reauth.replace(None);
                    greeter.reset();
                    window.show_session(session.clone());
                    if new_device {
                        window.after_new_sign_in(session, password);
                    }
                }
                Err(err) => {
                    let wrong_password = matches!(err, EngineError::WrongCredentials);
                    greeter.show_error(&describe(&err), wrong_password);
                }
            }
        });
    }

    fn show_greeter(&self) {
        self.set_session_actions_enabled(false);
        self.greeter().set_cancellable(false);
        self.imp().main_stack.set_visible_child_name("greeter");
    }

    /// Shows what went wrong, with the way out that fits: try again (the keyring), or sign
    /// in again (one account's secrets or store).
    fn show_problem(&self, error: &EngineError, account: Option<AccountEntry>) {
        let imp = self.imp();
        self.set_session_actions_enabled(false);
        let retryable = matches!(
            error,
            EngineError::SecretServiceMissing
                | EngineError::SecretServiceLocked
                | EngineError::SecretServiceNoAnswer
                | EngineError::Io { .. }
                | EngineError::Unreachable(_)
        );
        imp.problem_page.set_title(&match error {
            _ if retryable => gettext("Sotto Cannot Start Yet"),
            EngineError::SessionInvalidated { .. } => gettext("You Were Signed Out"),
            _ => gettext("Account Data Unavailable"),
        });
        crate::ui::widgets::set_status_description(&imp.problem_page, Some(&describe(error)));
        imp.problem_retry.set_visible(retryable);
        imp.problem_sign_in
            .set_visible(account.is_some() && !retryable);
        imp.failed.replace(account);
        imp.main_stack.set_visible_child_name("problem");
        crate::startup_trace::mark("start-up problem shown");
    }

    /// Forgets the account that could not be restored (its store or secrets are unusable,
    /// or the server ended the session) and opens the greeter with its Matrix ID filled in.
    pub(super) fn sign_in_again(&self) {
        let Some(accounts) = self.accounts() else {
            return;
        };
        let Some(entry) = self.imp().failed.take() else {
            self.show_greeter();
            return;
        };
        if self.imp().reauth.borrow().is_some() {
            // Keep the store: the greeter only needs the password now.
            let (_, username, password) = self.greeter().fields();
            username.set_text(entry.user_id.as_str());
            self.show_greeter();
            password.grab_focus();
            return;
        }
        let user_id = entry.user_id.clone();
        run_for(
            self,
            async move { accounts.forget(&entry).await },
            move |window, forgotten| {
                if let Err(err) = forgotten {
                    window.toast(&describe(&err));
                }
                let (_, username, _) = window.greeter().fields();
                username.set_text(user_id.as_str());
                window.show_greeter();
            },
        );
    }

    /// Shows `session` and starts its sync.
    fn show_session(&self, session: Session) {
        self.show_session_with(session, None);
    }

    /// Shows `session` and starts its sync: the one built already when given.
    fn show_session_with(&self, session: Session, built: Option<SyncAndRooms>) {
        crate::startup_trace::mark("showing the session page");
        let imp = self.imp();
        if let Some(previous) = imp.active.take() {
            previous.stop();
        }
        self.leave_account_rooms();
        imp.account_title.set_subtitle(session.user_id().as_str());
        imp.room_list_pane.clear();
        imp.offline_revealer.set_reveal_child(false);
        imp.main_stack.set_visible_child_name("session");
        self.set_session_actions_enabled(true);

        let mut tasks = Vec::new();
        let watched = session.clone();
        tasks.push(run_for(
            self,
            async move { watched.invalidated().await },
            Self::session_ended,
        ));
        imp.active.replace(Some(Active {
            session: session.clone(),
            sync: None,
            tasks,
            verifications: None,
        }));
        match built {
            Some(built) => self.take_over_sync(built),
            None => {
                // The room list starts in the same engine task, so that the cached rooms
                // come without waiting for the main loop in between.
                let Some(accounts) = self.accounts() else {
                    return;
                };
                let starting = run_for(
                    self,
                    async move { build_sync_and_rooms(&accounts, &session).await },
                    Self::take_over_sync,
                );
                if let Some(active) = imp.active.borrow_mut().as_mut() {
                    active.tasks.push(starting);
                }
            }
        }
    }

    /// Starts the sync built for the account shown and shows its room list.
    fn take_over_sync(&self, built: SyncAndRooms) {
        match built {
            Ok((sync, rooms)) => {
                let resuming = sync.clone();
                // At start-up the cached rooms are drawn first: the server's answer would
                // only compete with that first frame for the CPU.
                // (With no account active any more, sync_started stops this sync instead.)
                let starting = (!self.is_mapped()).then_some(self.downgrade());
                let accounts = self.accounts();
                if let Some(active) = self.imp().active.borrow_mut().as_mut() {
                    active.tasks.push(spawn_ui(async move {
                        if let Some(window) = starting.and_then(|w| w.upgrade()) {
                            crate::ui::widgets::first_frame(&window, FIRST_FRAME_PATIENCE).await;
                        }
                        runtime().spawn(async move {
                            resuming.resume().await;
                            // The other accounts sync too, so that each one notifies.
                            if let Some(accounts) = accounts {
                                accounts.run_all().await;
                            }
                        });
                    }));
                }
                self.sync_started(sync, rooms);
            }
            Err(err) => self.toast(&describe(&err)),
        }
    }

    fn sync_started(&self, sync: AccountSync, rooms: crate::engine::Result<RoomList>) {
        crate::startup_trace::mark("sync started (main thread)");
        let mut active = self.imp().active.borrow_mut();
        let Some(active) = active.as_mut() else {
            // Another account is shown now; this one keeps running in the background.
            return;
        };
        let window = self.downgrade();
        active
            .tasks
            .push(forward_stream(sync.states(), move |state| {
                let Some(window) = window.upgrade() else {
                    return ControlFlow::Break(());
                };
                window.show_sync_state(&state);
                ControlFlow::Continue(())
            }));
        match rooms {
            Ok((handle, updates)) => active
                .tasks
                .push(self.imp().room_list_pane.show(handle, updates)),
            Err(err) => self.toast(&describe(&err)),
        }
        active.sync = Some(sync);
        let (verifications, listening) = super::account_security::listen(self, &active.session);
        active.verifications = Some(verifications);
        active.tasks.extend(listening);
    }

    fn show_sync_state(&self, state: &SyncState) {
        let imp = self.imp();
        let text = match state {
            SyncState::Offline => Some(gettext(
                "Offline. Sotto reconnects by itself when the homeserver answers.",
            )),
            SyncState::Failed => Some(gettext(
                "Syncing stopped because of an error. Sotto tries again shortly.",
            )),
            SyncState::Idle | SyncState::Syncing => None,
        };
        if let Some(text) = &text {
            imp.offline_label.set_text(text);
        }
        imp.offline_revealer.set_reveal_child(text.is_some());
    }

    /// The server ended this session (another device signed it out, or a soft logout).
    fn session_ended(&self, error: EngineError) {
        let Some(active) = self.imp().active.take() else {
            return;
        };
        let entry = AccountEntry {
            user_id: active.session.user_id(),
            folder: active.session.folder().to_owned(),
        };
        active.stop();
        if let Some(accounts) = self.accounts() {
            let user_id = entry.user_id.clone();
            runtime().spawn(async move { accounts.running().stop(&user_id).await });
        }
        // After a soft logout the device and its keys still exist on the server: signing
        // in again keeps this device's store.
        let soft = matches!(error, EngineError::SessionInvalidated { soft: true });
        self.imp().reauth.replace(soft.then(|| entry.clone()));
        self.show_problem(&error, Some(entry));
    }

    pub(super) fn set_session_actions_enabled(&self, enabled: bool) {
        self.action_set_enabled("win.sign-out", enabled);
        self.action_set_enabled("win.account-settings", enabled);
    }
}

/// Engine work started from the window shows its errors in the window's toasts.
impl crate::ui::widgets::Toasts for Window {
    fn show_toast(&self, text: &str) {
        self.toast(text);
    }
}
