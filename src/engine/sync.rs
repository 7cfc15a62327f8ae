//! Keeping an account in sync: matrix-sdk-ui's `SyncService` (simplified sliding sync for
//! the room list plus the encryption sync), reduced to the few states the person sees.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use matrix_sdk_ui::room_list_service::State as RoomListState;
use matrix_sdk_ui::sync_service::{State as ServiceState, SyncService};

use super::session::Session;
use super::{EngineError, Result};

/// What the sync is doing, as the person sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyncState {
    /// Not started yet, or stopped.
    Idle,
    /// Connected and up to date (or catching up).
    Syncing,
    /// The server does not answer; the service retries by itself.
    Offline,
    /// Stopped by an error it could not recover from (for example, a revoked token).
    Failed,
}

impl From<&ServiceState> for SyncState {
    fn from(state: &ServiceState) -> Self {
        match state {
            ServiceState::Idle | ServiceState::Terminated => Self::Idle,
            ServiceState::Running => Self::Syncing,
            ServiceState::Offline => Self::Offline,
            ServiceState::Error(_) => Self::Failed,
        }
    }
}

/// The running sync of one account.
#[derive(Clone)]
pub struct AccountSync {
    service: Arc<SyncService>,
}

impl AccountSync {
    /// Builds the sync service of `session` and starts it. The service falls back to an
    /// offline mode when the server is unreachable and resumes by itself when it answers.
    pub async fn start(session: &Session) -> Result<Self> {
        // The event cache computes each room's latest event for the room list.
        session
            .client()
            .event_cache()
            .subscribe()
            .map_err(EngineError::matrix)?;
        let service = SyncService::builder(session.client().clone())
            .with_offline_mode()
            .build()
            .await
            .map_err(EngineError::matrix)?;
        service.start().await;
        Ok(Self {
            service: Arc::new(service),
        })
    }

    /// The underlying service, for the room list and timelines.
    pub fn service(&self) -> &Arc<SyncService> {
        &self.service
    }

    /// The current state.
    pub fn state(&self) -> SyncState {
        SyncState::from(&self.service.state().get())
    }

    /// The state now and each time it changes.
    pub fn states(&self) -> impl Stream<Item = SyncState> + use<> {
        let subscriber = self.service.state();
        let now = SyncState::from(&subscriber.get());
        futures_util::stream::once(async move { now })
            .chain(subscriber.map(|state| SyncState::from(&state)))
    }

    /// Waits until the room list has had its first answer from the server.
    pub async fn wait_until_rooms_synced(&self, timeout: Duration) -> Result<()> {
        let mut states = self.service.room_list_service().state();
        let reached = async {
            loop {
                let state = states.get();
                if matches!(state, RoomListState::Running) {
                    return Ok(());
                }
                if matches!(self.state(), SyncState::Failed) {
                    return Err(EngineError::Unreachable(
                        "the sync stopped with an error".into(),
                    ));
                }
                if states.next().await.is_none() {
                    return Err(EngineError::Unreachable("the sync ended".into()));
                }
            }
        };
        tokio::time::timeout(timeout, reached)
            .await
            .map_err(|_| EngineError::Unreachable("the first sync did not finish in time".into()))?
    }

    /// Stops syncing (on sign-out or quit).
    pub async fn stop(&self) {
        self.service.stop().await;
    }
}
