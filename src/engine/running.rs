//! The accounts open in this process: each one's session and sync. They run for as long as
//! Sotto does, with a window or without one, so that a window opened again takes over what
//! runs and every account keeps syncing (and notifying) while another is shown.

use crate::engine::ids::{OwnedUserId, UserId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::broadcast;

use super::session::Session;
use super::sync::AccountSync;

/// An account that runs: its session and, once built, its sync.
#[derive(Clone)]
pub struct OpenAccount {
    /// The session.
    pub session: Session,
    /// Its sync, once built (it may not have started talking to the server yet).
    pub sync: Option<AccountSync>,
}

/// A change to the accounts that run.
#[derive(Clone)]
pub enum RunningChange {
    /// The sync of this account was built: its events come from now on.
    Syncing(Session, AccountSync),
    /// The account stopped running (signed out, its session ended, or opened again).
    Stopped {
        /// Its Matrix ID.
        user_id: OwnedUserId,
    },
}

/// The accounts that run, shared by every clone.
#[derive(Clone)]
pub struct Running {
    accounts: Arc<Mutex<HashMap<OwnedUserId, OpenAccount>>>,
    /// Held while an account is being opened, so the same store is never opened twice.
    opening: Arc<tokio::sync::Mutex<()>>,
    changes: broadcast::Sender<RunningChange>,
}

impl Default for Running {
    fn default() -> Self {
        Self {
            accounts: Arc::default(),
            opening: Arc::default(),
            changes: broadcast::channel(64).0,
        }
    }
}

impl Running {
    fn accounts(&self) -> std::sync::MutexGuard<'_, HashMap<OwnedUserId, OpenAccount>> {
        self.accounts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A number that tells this set of accounts from others in the same process.
    pub fn key(&self) -> usize {
        Arc::as_ptr(&self.accounts) as usize
    }

    /// The account `user_id`, when it runs.
    pub fn get(&self, user_id: &UserId) -> Option<OpenAccount> {
        self.accounts().get(user_id).cloned()
    }

    /// Every account that runs.
    pub fn all(&self) -> Vec<OpenAccount> {
        self.accounts().values().cloned().collect()
    }

    /// How many accounts run.
    pub fn count(&self) -> usize {
        self.accounts().len()
    }

    /// The changes from now on.
    pub fn changes(&self) -> broadcast::Receiver<RunningChange> {
        self.changes.subscribe()
    }

    /// Held while opening an account (see [`Running::opening`]).
    pub(crate) async fn lock_opening(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.opening.lock().await
    }

    /// Keeps `session` as the one of its account (replacing and stopping any other).
    pub(crate) fn insert(&self, session: Session) {
        let previous = self.accounts().insert(
            session.user_id(),
            OpenAccount {
                session,
                sync: None,
            },
        );
        if let Some(previous) = previous {
            let _ = self.changes.send(RunningChange::Stopped {
                user_id: previous.session.user_id(),
            });
            stop(previous);
        }
    }

    /// Keeps `sync` as the sync of `session`'s account.
    pub(crate) fn set_sync(&self, session: &Session, sync: AccountSync) {
        if let Some(open) = self.accounts().get_mut(&session.user_id()) {
            open.sync = Some(sync.clone());
        }
        let _ = self
            .changes
            .send(RunningChange::Syncing(session.clone(), sync));
    }

    /// Stops the account `user_id` from running: its sync stops.
    pub async fn stop(&self, user_id: &UserId) {
        let open = self.accounts().remove(user_id);
        if let Some(open) = open {
            let _ = self.changes.send(RunningChange::Stopped {
                user_id: user_id.to_owned(),
            });
            if let Some(sync) = open.sync {
                sync.stop().await;
            }
        }
    }
}

impl Running {
    /// Stops every account (when Sotto quits, or a test ends).
    pub async fn stop_all(&self) {
        let users: Vec<OwnedUserId> = self.accounts().keys().cloned().collect();
        for user_id in users {
            self.stop(&user_id).await;
        }
    }
}

/// Stops the sync of an account that no longer runs, without waiting.
fn stop(open: OpenAccount) {
    if let Some(sync) = open.sync {
        tokio::spawn(async move { sync.stop().await });
    }
}
