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
    supervisor: Arc<tokio::task::JoinHandle<()>>,
    send_queue_keeper: Arc<tokio::task::JoinHandle<()>>,
    /// Applies the key sharing rule to each device the SDK learns of.
    key_sharing_keeper: Arc<tokio::task::JoinHandle<()>>,
}

/// A sync that fails again this soon after it resumed is failing for a reason other than
/// a lost connection (the SDK's offline mode then resumes at once, in a tight loop).
const FLAP_WINDOW: Duration = Duration::from_secs(5);
/// The longest pause between two attempts of a sync that keeps failing.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// Watches the service: when it fails right after resuming, stops it and starts it again
/// after a pause that doubles each time, so a persistent server error costs a request
/// every few minutes rather than dozens a second.
async fn supervise(service: Arc<SyncService>) {
    let mut states = service.state();
    let mut resumed_at: Option<tokio::time::Instant> = None;
    let mut backoff = Duration::from_secs(1);
    while let Some(state) = states.next().await {
        match state {
            ServiceState::Running => {
                let now = tokio::time::Instant::now();
                if resumed_at.is_some_and(|t| now - t > FLAP_WINDOW * 6) {
                    backoff = Duration::from_secs(1);
                }
                resumed_at = Some(now);
            }
            ServiceState::Offline | ServiceState::Error(_) => {
                let flapping = resumed_at.is_some_and(|t| t.elapsed() < FLAP_WINDOW);
                let failed = matches!(state, ServiceState::Error(_));
                if flapping || failed {
                    tracing::warn!(
                        ?backoff,
                        "the sync keeps failing; pausing before the next try"
                    );
                    service.stop().await;
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    resumed_at = None;
                    service.start().await;
                }
            }
            ServiceState::Idle | ServiceState::Terminated => {}
        }
    }
}

/// matrix-sdk disables a room's send queue when sending fails for a reason that may pass
/// (the server does not answer); nothing in the SDK turns it back on. This task does, once
/// the sync runs again, pausing longer each time the same trouble comes back soon, and
/// only when nothing blocks sending there: an identity changed or a new session appeared
/// while the messages waited, they wait for the person's decision.
async fn keep_send_queues_going(session: Session, service: Arc<SyncService>) {
    let client = session.client().clone();
    let mut errors = client.send_queue().subscribe_errors();
    let mut backoff = Duration::from_millis(500);
    let mut last_error: Option<tokio::time::Instant> = None;
    loop {
        let error = match errors.recv().await {
            Ok(error) => error,
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        };
        if !error.is_recoverable {
            // Parked until the person retries or discards the message.
            continue;
        }
        if last_error.is_some_and(|t| t.elapsed() > FLAP_WINDOW * 12) {
            backoff = Duration::from_millis(500);
        }
        last_error = Some(tokio::time::Instant::now());
        tracing::info!(?backoff, "sending paused; resuming when the server answers");
        let Some(room) = client.get_room(&error.room_id) else {
            continue;
        };
        // Resumes only once the server answered the check's own questions (the members'
        // keys): the sync alone may say it runs between two failures.
        loop {
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(30));
            let mut states = service.state();
            while !matches!(states.get(), ServiceState::Running) {
                if states.next().await.is_none() {
                    return;
                }
            }
            match super::trust::identities::ensure_can_resume(&session, room.room_id()).await {
                Ok(()) => {
                    room.send_queue().set_enabled(true);
                    break;
                }
                Err(EngineError::IdentityChanged(_) | EngineError::SessionsUnconfirmed(_)) => {
                    tracing::info!("sending waits for the person's decision");
                    session.set_held(room.room_id(), true);
                    break;
                }
                Err(err) => tracing::debug!("cannot check before resuming yet: {err}"),
            }
        }
    }
}

impl AccountSync {
    /// Builds the sync service of `session` and starts it. The service falls back to an
    /// offline mode when the server is unreachable and resumes by itself when it answers.
    pub async fn start(session: &Session) -> Result<Self> {
        let sync = Self::build(session).await?;
        sync.resume().await;
        Ok(sync)
    }

    /// Builds the sync service of `session` without starting it: its room list already
    /// lists the rooms of the local store, and nothing is asked of the server until
    /// [`AccountSync::resume`].
    pub async fn build(session: &Session) -> Result<Self> {
        // The event cache computes each room's latest event for the room list.
        session
            .client()
            .event_cache()
            .subscribe()
            .map_err(EngineError::matrix)?;
        // Attachments being sent say how far their upload has come (EventEntry::upload).
        session.client().send_queue().enable_upload_progress(true);
        let service = SyncService::builder(session.client().clone())
            .with_offline_mode()
            .build()
            .await
            .map_err(EngineError::matrix)?;
        crate::startup_trace::mark("sync service built");
        let service = Arc::new(service);
        let supervisor = Arc::new(tokio::spawn(supervise(service.clone())));
        let send_queue_keeper = Arc::new(tokio::spawn(keep_send_queues_going(
            session.clone(),
            service.clone(),
        )));
        let key_sharing_keeper = Arc::new(tokio::spawn(super::trust::recipients::keep_applying(
            session.clone(),
        )));
        Ok(Self {
            service,
            supervisor,
            send_queue_keeper,
            key_sharing_keeper,
        })
    }

    /// Starts (or starts again) talking to the server.
    pub async fn resume(&self) {
        self.service.start().await;
        crate::startup_trace::mark("sync service started");
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
        self.supervisor.abort();
        self.send_queue_keeper.abort();
        self.key_sharing_keeper.abort();
        self.service.stop().await;
    }
}
