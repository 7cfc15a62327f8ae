//! Interactive verification by comparing emoji (or numbers), with another session of the
//! account or with another person. `Verifications` of a session hands out the requests
//! that arrive and starts new ones; each `VerificationFlow` reports its state as a stream.
//! One flow runs at a time. A request from someone else that arrives while one runs is
//! declined; a second request from the same person (or from another session of the
//! account, for self-verification) makes the SDK cancel both, so nobody compares emoji with
//! the wrong party. Starting one while another runs gives `VerificationBusy`. A request
//! the SDK could not take because it did not know the sending session yet is reported
//! as missed (see `super::missed`).
//!
//! A flow ends when either side cancels it or lets it time out (the SDK cancels a request
//! after 10 minutes, and an emoji comparison after 5 minutes or after 1 minute without a
//! step, noticed at its next sync; `CancelReason::by_us` tells whose clock ran out), and
//! also when the other session is signed out while it runs: the SDK would wait for its
//! time-out, so each flow follows the device list and cancels itself as soon as the other
//! session's device is gone (`CancelKind::OtherSessionSignedOut`).

use crate::engine::ids::UserId;
use std::sync::{Arc, Mutex};

use futures_util::Stream;
use matrix_sdk::encryption::identities::RequestVerificationError;
use matrix_sdk::encryption::verification::{CancelInfo, VerificationRequest};
use matrix_sdk::event_handler::EventHandlerDropGuard;
use matrix_sdk::ruma::events::key::verification::cancel::CancelCode;
use matrix_sdk::ruma::events::key::verification::request::ToDeviceKeyVerificationRequestEvent;
use matrix_sdk::ruma::events::room::message::{MessageType, OriginalSyncRoomMessageEvent};
use tokio::sync::{Notify, broadcast, mpsc};

use super::classify;
use super::missed::{self, MissedRequest, SeenRequest};
use crate::engine::session::Session;
use crate::engine::{EngineError, Result};

mod flow;
mod wake;

pub use flow::VerificationFlow;
use wake::{wake_encryption_sync, wake_on_in_room_steps};

/// One emoji of the short authentication string, with its English name from the spec (the
/// UI translates the name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SasEmoji {
    /// The emoji itself, for example "🐶".
    pub symbol: String,
    /// Its name, for example "Dog".
    pub name: String,
}

/// Why a verification ended without success.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CancelKind {
    /// Someone did not answer in time.
    TimedOut,
    /// The emoji or numbers did not match.
    Mismatch,
    /// Someone cancelled it.
    Cancelled,
    /// Another session of the account answered the request first.
    AnsweredElsewhere,
    /// The other session was signed out (its device was deleted) while the flow ran.
    OtherSessionSignedOut,
    /// Any other reason (its spec code, for the logs).
    Other(String),
}

/// The end of a cancelled verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CancelReason {
    /// Why.
    pub kind: CancelKind,
    /// True when this side cancelled it (or its time ran out here), false when the other
    /// side did.
    pub by_us: bool,
}

/// Where a verification stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FlowState {
    /// Asked, not yet answered: wait (our request) or accept (theirs).
    Requested,
    /// Both sides agreed to verify; either may start comparing emoji.
    Ready,
    /// Keys are being exchanged.
    Starting,
    /// Compare these with the other screen, then confirm or report a mismatch.
    Compare {
        /// The seven emoji, when both sides support them.
        emoji: Option<Vec<SasEmoji>>,
        /// The three numbers.
        decimals: (u16, u16, u16),
    },
    /// This side confirmed; waiting for the other side.
    Confirmed,
    /// Verified.
    Done,
    /// Ended without success.
    Cancelled(CancelReason),
}

impl FlowState {
    /// True for `Done` and `Cancelled`.
    pub fn is_finished(&self) -> bool {
        matches!(self, Self::Done | Self::Cancelled(_))
    }
}

pub(super) fn cancel_reason(info: &CancelInfo) -> CancelReason {
    let kind = match info.cancel_code() {
        CancelCode::Timeout => CancelKind::TimedOut,
        CancelCode::MismatchedSas => CancelKind::Mismatch,
        CancelCode::User => CancelKind::Cancelled,
        CancelCode::Accepted => CancelKind::AnsweredElsewhere,
        other => CancelKind::Other(other.as_str().to_owned()),
    };
    CancelReason {
        kind,
        by_us: info.cancelled_by_us(),
    }
}

/// The verifications of one session: incoming requests and new ones.
pub struct Verifications {
    session: Session,
    incoming: broadcast::Sender<VerificationFlow>,
    missed: broadcast::Sender<MissedRequest>,
    active: Arc<Mutex<Option<VerificationFlow>>>,
    wake_wanted: Arc<Notify>,
    _handlers: Vec<EventHandlerDropGuard>,
    _receiver: tokio::task::JoinHandle<()>,
    _waker: tokio::task::JoinHandle<()>,
}

impl Drop for Verifications {
    fn drop(&mut self) {
        self._receiver.abort();
        self._waker.abort();
    }
}

fn is_running(active: &Arc<Mutex<Option<VerificationFlow>>>) -> bool {
    active
        .lock()
        .ok()
        .and_then(|a| a.as_ref().map(|f| !f.state().is_finished()))
        .unwrap_or(false)
}

impl Verifications {
    /// Starts listening for requests to `session` (to-device from own or other sessions,
    /// and in-room from other people). The session's sync must run for them to arrive.
    pub fn new(session: &Session) -> Self {
        let client = session.client();
        let (found_tx, mut found_rx) = mpsc::unbounded_channel::<SeenRequest>();
        let to_device = {
            let found = found_tx.clone();
            client.add_event_handler(move |event: ToDeviceKeyVerificationRequestEvent| {
                let found = found.clone();
                async move {
                    let _ = found.send(SeenRequest {
                        sender: event.sender,
                        flow_id: event.content.transaction_id.to_string(),
                        from_device: event.content.from_device,
                        sent_at: event.content.timestamp,
                    });
                }
            })
        };
        let own = client.user_id().map(ToOwned::to_owned);
        let in_room = {
            let found = found_tx;
            client.add_event_handler(move |event: OriginalSyncRoomMessageEvent| {
                let found = found.clone();
                let own = own.clone();
                async move {
                    if let MessageType::VerificationRequest(request) = event.content.msgtype
                        && Some(&event.sender) != own.as_ref()
                    {
                        let _ = found.send(SeenRequest {
                            sender: event.sender,
                            flow_id: event.event_id.to_string(),
                            from_device: request.from_device,
                            sent_at: event.origin_server_ts,
                        });
                    }
                }
            })
        };
        let wake_wanted = Arc::new(Notify::new());
        let waker = tokio::spawn(wake_encryption_sync(client.clone(), wake_wanted.clone()));
        let handlers = vec![
            client.event_handler_drop_guard(to_device),
            client.event_handler_drop_guard(in_room),
            wake_on_in_room_steps(client, wake_wanted.clone()),
        ];

        let (incoming, _) = broadcast::channel(8);
        let (missed, _) = broadcast::channel(8);
        let active: Arc<Mutex<Option<VerificationFlow>>> = Arc::new(Mutex::new(None));
        let receiver = {
            let client = client.clone();
            let incoming = incoming.clone();
            let lost_tx = missed.clone();
            let active = active.clone();
            let wake = wake_wanted.clone();
            tokio::spawn(async move {
                while let Some(seen) = found_rx.recv().await {
                    let flow_id = seen.flow_id.as_str();
                    let Some(request) = client
                        .encryption()
                        .get_verification_request(&seen.sender, flow_id)
                        .await
                    else {
                        if let Some(lost) = missed::missed(&client, &seen).await {
                            let _ = lost_tx.send(lost);
                        }
                        continue;
                    };
                    if request.is_done() || request.is_cancelled() || request.we_started() {
                        continue;
                    }
                    if is_running(&active) {
                        let same = active
                            .lock()
                            .ok()
                            .and_then(|a| a.as_ref().map(|f| f.flow_id() == flow_id))
                            .unwrap_or(false);
                        if !same {
                            tracing::info!("declining a verification request: another one runs");
                            let _ = request.cancel().await;
                        }
                        continue;
                    }
                    let flow = VerificationFlow::new(request, client.clone(), wake.clone());
                    if let Ok(mut active) = active.lock() {
                        *active = Some(flow.clone());
                    }
                    let _ = incoming.send(flow);
                }
            })
        };
        Self {
            session: session.clone(),
            incoming,
            missed,
            active,
            wake_wanted,
            _handlers: handlers,
            _receiver: receiver,
            _waker: waker,
        }
    }

    /// The requests that arrive from now on.
    pub fn incoming(&self) -> impl Stream<Item = VerificationFlow> + use<> {
        received(self.incoming.subscribe())
    }

    /// The requests from now on that this session could not answer because it did not know
    /// the session that sent them yet (see [`super::missed`]); asking again works.
    pub fn missed(&self) -> impl Stream<Item = MissedRequest> + use<> {
        received(self.missed.subscribe())
    }

    /// The flow running now, if any.
    pub fn active(&self) -> Option<VerificationFlow> {
        self.active
            .lock()
            .ok()
            .and_then(|a| a.clone())
            .filter(|f| !f.state().is_finished())
    }

    fn begin(&self, request: VerificationRequest) -> VerificationFlow {
        let flow = VerificationFlow::new(
            request,
            self.session.client().clone(),
            self.wake_wanted.clone(),
        );
        if let Ok(mut active) = self.active.lock() {
            *active = Some(flow.clone());
        }
        flow
    }

    fn ensure_idle(&self) -> Result<()> {
        if is_running(&self.active) {
            Err(EngineError::VerificationBusy)
        } else {
            Ok(())
        }
    }

    /// Asks the account's other sessions to verify this one (any of them may answer).
    pub async fn verify_this_session(&self) -> Result<VerificationFlow> {
        self.ensure_idle()?;
        let user_id = self.session.user_id();
        let identity = self
            .session
            .client()
            .encryption()
            .get_user_identity(&user_id)
            .await
            .map_err(EngineError::matrix)?
            .ok_or_else(|| EngineError::NotVerifiable(user_id.to_string()))?;
        let request = identity.request_verification().await.map_err(map_request)?;
        Ok(self.begin(request))
    }

    /// Asks another session of the account, `device_id`, to verify.
    pub async fn verify_own_device(&self, device_id: &str) -> Result<VerificationFlow> {
        self.ensure_idle()?;
        let user_id = self.session.user_id();
        let device = self
            .session
            .client()
            .encryption()
            .get_device(&user_id, device_id.into())
            .await
            .map_err(EngineError::matrix)?
            .ok_or_else(|| EngineError::NotVerifiable(device_id.to_owned()))?;
        let request = device.request_verification().await.map_err(classify)?;
        Ok(self.begin(request))
    }

    /// Asks another person to verify, in the direct chat with them (made if missing).
    pub async fn verify_user(&self, user_id: &UserId) -> Result<VerificationFlow> {
        self.ensure_idle()?;
        let identity = super::identities::find_user_identity(&self.session, user_id)
            .await?
            .ok_or_else(|| EngineError::NotVerifiable(user_id.to_string()))?;
        let request = identity.request_verification().await.map_err(map_request)?;
        Ok(self.begin(request))
    }
}

/// What `rx` receives from now on, skipping what it missed by lagging behind.
fn received<T: Clone>(rx: broadcast::Receiver<T>) -> impl Stream<Item = T> {
    futures_util::stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(item) => return Some((item, rx)),
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
}

fn map_request(err: RequestVerificationError) -> EngineError {
    match err {
        RequestVerificationError::Sdk(err) => classify(err),
        other => EngineError::matrix(other),
    }
}
