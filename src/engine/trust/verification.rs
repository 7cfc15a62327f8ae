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

use futures_util::{Stream, StreamExt};
use matrix_sdk::Client;
use matrix_sdk::encryption::identities::RequestVerificationError;
use matrix_sdk::encryption::verification::{
    CancelInfo, SasState, SasVerification, Verification, VerificationRequest,
    VerificationRequestState,
};
use matrix_sdk::event_handler::EventHandlerDropGuard;
use matrix_sdk::ruma::api::client::to_device::send_event_to_device::v3::Request as ToDeviceRequest;
use matrix_sdk::ruma::events::key::verification::cancel::CancelCode;
use matrix_sdk::ruma::events::key::verification::request::ToDeviceKeyVerificationRequestEvent;
use matrix_sdk::ruma::events::room::message::{MessageType, OriginalSyncRoomMessageEvent};
use matrix_sdk::ruma::events::{AnySyncMessageLikeEvent, ToDeviceEventType};
use matrix_sdk::ruma::serde::Raw;
use matrix_sdk::ruma::to_device::DeviceIdOrAllDevices;
use matrix_sdk::ruma::{OwnedEventId, OwnedUserId, TransactionId};
use serde::Deserialize;
use tokio::sync::{Notify, broadcast, mpsc, watch};

use super::classify;
use super::missed::{self, MissedRequest, SeenRequest};
use crate::engine::session::Session;
use crate::engine::{EngineError, Result};

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

fn cancel_reason(info: &CancelInfo) -> CancelReason {
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

/// One verification, incoming or outgoing.
#[derive(Clone)]
pub struct VerificationFlow {
    request: VerificationRequest,
    state: watch::Receiver<FlowState>,
    sas: Arc<Mutex<Option<SasVerification>>>,
    started_sas: mpsc::UnboundedSender<SasVerification>,
}

impl std::fmt::Debug for VerificationFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerificationFlow")
            .field("flow_id", &self.flow_id())
            .field("other_user_id", &self.other_user_id())
            .field("state", &self.state())
            .finish()
    }
}

impl VerificationFlow {
    fn new(request: VerificationRequest, client: Client, wake: Arc<Notify>) -> Self {
        let (tx, state) = watch::channel(FlowState::Requested);
        let (started_sas, sas_rx) = mpsc::unbounded_channel();
        let sas = Arc::new(Mutex::new(None));
        let tx = Arc::new(tx);
        tokio::spawn(drive(request.clone(), tx.clone(), sas_rx, sas.clone()));
        if !request.is_self_verification() {
            tokio::spawn(show_verified_identity(
                client.clone(),
                wake,
                request.other_user_id().to_owned(),
                state.clone(),
            ));
        }
        let flow = Self {
            request,
            state,
            sas,
            started_sas,
        };
        tokio::spawn(end_when_other_device_goes(client, flow.clone(), tx));
        flow
    }

    /// The ID that names this flow on both sides.
    pub fn flow_id(&self) -> String {
        self.request.flow_id().to_owned()
    }

    /// The other person (our own user ID when verifying another session).
    pub fn other_user_id(&self) -> String {
        self.request.other_user_id().to_string()
    }

    /// The other session's device ID, once known.
    pub fn other_device_id(&self) -> Option<String> {
        if let Some(sas) = self.sas.lock().ok().and_then(|s| s.clone()) {
            return Some(sas.other_device().device_id().to_string());
        }
        match self.request.state() {
            VerificationRequestState::Requested {
                other_device_data, ..
            }
            | VerificationRequestState::Ready {
                other_device_data, ..
            } => Some(other_device_data.device_id().to_string()),
            _ => None,
        }
    }

    /// True when verifying another session of this account.
    pub fn is_self_verification(&self) -> bool {
        self.request.is_self_verification()
    }

    /// True when this side asked.
    pub fn we_started(&self) -> bool {
        self.request.we_started()
    }

    /// The state now.
    pub fn state(&self) -> FlowState {
        self.state.borrow().clone()
    }

    /// The state now and each time it changes; ends after `Done` or `Cancelled`.
    pub fn states(&self) -> impl Stream<Item = FlowState> + use<> {
        let rx = self.state.clone();
        futures_util::stream::unfold((rx, true, false), |(mut rx, first, ended)| async move {
            if ended {
                return None;
            }
            if !first && rx.changed().await.is_err() {
                return None;
            }
            let state = rx.borrow_and_update().clone();
            let ended = state.is_finished();
            Some((state, (rx, false, ended)))
        })
    }

    /// Accepts a request from the other side.
    pub async fn accept(&self) -> Result<()> {
        self.request.accept().await.map_err(classify)
    }

    /// Starts comparing emoji (once the flow is `Ready`).
    pub async fn start_sas(&self) -> Result<()> {
        if let Some(sas) = self.request.start_sas().await.map_err(classify)? {
            let _ = self.started_sas.send(sas);
        }
        Ok(())
    }

    fn current_sas(&self) -> Result<SasVerification> {
        self.sas
            .lock()
            .ok()
            .and_then(|s| s.clone())
            .ok_or_else(|| EngineError::matrix(std::io::Error::other("no emoji to compare yet")))
    }

    /// The emoji match: this side confirms.
    pub async fn confirm(&self) -> Result<()> {
        self.current_sas()?.confirm().await.map_err(classify)
    }

    /// The emoji do not match: the flow is cancelled on both sides and nothing is verified.
    pub async fn mismatch(&self) -> Result<()> {
        self.current_sas()?.mismatch().await.map_err(classify)
    }

    /// Cancels the flow, on both sides.
    pub async fn cancel(&self) -> Result<()> {
        if let Ok(sas) = self.current_sas() {
            return sas.cancel().await.map_err(classify);
        }
        self.request.cancel().await.map_err(classify)
    }
}

/// Moves the flow to `state`. A flow that ended stays ended with its first reason: when
/// Sotto cancels a flow because the other session is gone, the SDK's own report of that
/// cancellation (as cancelled by the user) comes after and changes nothing.
fn set(tx: &watch::Sender<FlowState>, state: FlowState) {
    tx.send_if_modified(|current| {
        if *current == state || current.is_finished() {
            false
        } else {
            *current = state;
            true
        }
    });
}

/// Once a verification of another person succeeds, makes sure this session sees them as
/// verified soon. The crypto machine signs their identity when the emoji match, but when
/// the last step came from their side, the upload of that signature waits in its queue for
/// the encryption sync, and the signature shows only after a new key query, which the
/// server may not prompt. So this wakes the sync (which sends the queue) and asks for
/// their identity again, a few times, until it reads as verified.
async fn show_verified_identity(
    client: Client,
    wake: Arc<Notify>,
    user_id: OwnedUserId,
    mut state: watch::Receiver<FlowState>,
) {
    loop {
        let now = state.borrow_and_update().clone();
        match now {
            FlowState::Done => break,
            FlowState::Cancelled(_) => return,
            _ => {}
        }
        if state.changed().await.is_err() {
            return;
        }
    }
    let encryption = client.encryption();
    let mut pause = std::time::Duration::from_millis(300);
    for _ in 0..8 {
        if super::identities::is_verified_locally(&client, &user_id).await {
            return;
        }
        wake.notify_one();
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(std::time::Duration::from_secs(5));
        if let Err(err) = encryption.request_user_identity(&user_id).await {
            tracing::warn!("could not ask for a verified person's identity: {err}");
        }
    }
    tracing::warn!("a verified person's identity does not read as verified yet");
}

/// Ends `flow` as soon as the other side's device is deleted (the other session was
/// signed out), which matrix-sdk notices only at its time-out. The crypto store reports
/// every change of a device list it learnt from a key query, a deletion included; after
/// each, the other device is looked up again. A device counts as gone only once it had
/// been seen, so a flow whose other device is not known yet is left alone.
async fn end_when_other_device_goes(
    client: Client,
    flow: VerificationFlow,
    tx: Arc<watch::Sender<FlowState>>,
) {
    let mut updates = match client.encryption().devices_stream().await {
        Ok(updates) => Box::pin(updates),
        Err(err) => {
            tracing::warn!("cannot follow the devices during a verification: {err}");
            return;
        }
    };
    let mut state = flow.state.clone();
    let user_id = flow.request.other_user_id().to_owned();
    let mut seen: Option<String> = None;
    loop {
        if state.borrow_and_update().is_finished() {
            return;
        }
        if let Some(device_id) = flow.other_device_id() {
            let device = client
                .encryption()
                .get_device(&user_id, device_id.as_str().into())
                .await;
            match device {
                Ok(Some(device)) if !device.is_deleted() => seen = Some(device_id),
                Ok(_) if seen.as_deref() == Some(device_id.as_str()) => {
                    tracing::info!("ending a verification: the other session was signed out");
                    set(
                        &tx,
                        FlowState::Cancelled(CancelReason {
                            kind: CancelKind::OtherSessionSignedOut,
                            by_us: true,
                        }),
                    );
                    // Tells the other side (their other sessions, for an in-room flow) and
                    // ends the SDK's flow; the state above stays.
                    if let Err(err) = flow.cancel().await {
                        tracing::warn!("could not cancel the verification: {err}");
                    }
                    return;
                }
                Ok(_) => {}
                Err(err) => tracing::warn!("could not look up the other device: {err}"),
            }
        }
        tokio::select! {
            changed = state.changed() => if changed.is_err() { return },
            update = updates.next() => if update.is_none() { return },
        }
    }
}

/// Follows the request until it turns into an emoji comparison, then follows that.
async fn drive(
    request: VerificationRequest,
    tx: Arc<watch::Sender<FlowState>>,
    mut started_sas: mpsc::UnboundedReceiver<SasVerification>,
    slot: Arc<Mutex<Option<SasVerification>>>,
) {
    let mut changes = Box::pin(request.changes());
    let mut state = request.state();
    loop {
        match state {
            VerificationRequestState::Created { .. }
            | VerificationRequestState::Requested { .. } => set(&tx, FlowState::Requested),
            VerificationRequestState::Ready { .. } => set(&tx, FlowState::Ready),
            VerificationRequestState::Transitioned { verification } => {
                if let Verification::SasV1(sas) = verification {
                    follow_sas(sas, &tx, &slot).await;
                    return;
                }
                // Sotto offers only emoji; another method cannot be shown.
                let _ = request.cancel().await;
            }
            VerificationRequestState::Done => {
                set(&tx, FlowState::Done);
                return;
            }
            VerificationRequestState::Cancelled(info) => {
                set(&tx, FlowState::Cancelled(cancel_reason(&info)));
                return;
            }
        }
        state = tokio::select! {
            next = changes.next() => match next {
                Some(next) => next,
                None => return,
            },
            Some(sas) = started_sas.recv() => {
                follow_sas(sas, &tx, &slot).await;
                return;
            }
        };
    }
}

async fn follow_sas(
    sas: SasVerification,
    tx: &watch::Sender<FlowState>,
    slot: &Arc<Mutex<Option<SasVerification>>>,
) {
    if let Ok(mut slot) = slot.lock() {
        *slot = Some(sas.clone());
    }
    let mut changes = Box::pin(sas.changes());
    let mut state = sas.state();
    loop {
        match state {
            SasState::Created { .. } | SasState::Accepted { .. } => set(tx, FlowState::Starting),
            SasState::Started { .. } => {
                set(tx, FlowState::Starting);
                // The other side started the comparison of a request this side accepted.
                if !sas.we_started()
                    && let Err(err) = sas.accept().await
                {
                    tracing::warn!("could not accept the emoji comparison: {err}");
                }
            }
            SasState::KeysExchanged { decimals, .. } => {
                let emoji = sas.emoji().map(|all| {
                    all.iter()
                        .map(|e| SasEmoji {
                            symbol: e.symbol.to_owned(),
                            name: e.description.to_owned(),
                        })
                        .collect()
                });
                set(tx, FlowState::Compare { emoji, decimals });
            }
            SasState::Confirmed => set(tx, FlowState::Confirmed),
            SasState::Done { .. } => {
                set(tx, FlowState::Done);
                return;
            }
            SasState::Cancelled(info) => {
                set(tx, FlowState::Cancelled(cancel_reason(&info)));
                return;
            }
        }
        state = match changes.next().await {
            Some(state) => state,
            None => return,
        };
    }
}

/// The to-device event type of the message with which a session wakes its own encryption
/// sync. Custom and with empty content: the crypto machine passes such events by, and no
/// event handler listens for it.
const WAKE_EVENT_TYPE: &str = "chat.sotto.wake";

/// The other side's in-room verification events arrive through the room-list sync, and the
/// replies the crypto machine queues in answer (this side's key after their accept, the
/// `done` after their MAC) go out only when the *encryption* sync starts its next
/// iteration. Its long poll lasts up to 30 seconds, so every step would wait for it and
/// the SDK would give up on the verification. matrix-sdk has no public way to send the
/// queued requests, so this sends a to-device message to this very session: the server
/// ends the encryption sync's long poll, and its next iteration sends them.
///
/// Wakes are wanted through `Notify`, which keeps at most one pending: steps that come
/// while a wake is on its way cost one more wake, not one each.
async fn wake_encryption_sync(client: Client, wanted: Arc<Notify>) {
    loop {
        wanted.notified().await;
        let (Some(user_id), Some(device_id)) = (client.user_id(), client.device_id()) else {
            continue;
        };
        let content = match Raw::from_json_string("{}".to_owned()) {
            Ok(content) => content,
            Err(err) => {
                tracing::warn!("could not build the wake message: {err}");
                continue;
            }
        };
        let messages = [(
            user_id.to_owned(),
            [(
                DeviceIdOrAllDevices::DeviceId(device_id.to_owned()),
                content,
            )]
            .into(),
        )]
        .into();
        let request = ToDeviceRequest::new_raw(
            ToDeviceEventType::from(WAKE_EVENT_TYPE),
            TransactionId::new(),
            messages,
        );
        tracing::trace!("waking the encryption sync");
        if let Err(err) = client.send(request).await {
            tracing::warn!("could not wake the encryption sync: {err}");
        }
    }
}

/// The parts of an in-room event that tell whether it is a step of a verification.
#[derive(Deserialize)]
struct InRoomStep {
    #[serde(rename = "type")]
    event_type: String,
    sender: OwnedUserId,
    content: InRoomStepContent,
}

#[derive(Deserialize)]
struct InRoomStepContent {
    #[serde(rename = "m.relates_to")]
    relates_to: Option<InRoomStepRelation>,
}

#[derive(Deserialize)]
struct InRoomStepRelation {
    event_id: OwnedEventId,
}

/// Wakes the encryption sync after each step of a running in-room verification that the
/// other side took. Event handlers run after the sync response was processed, so whatever
/// the crypto machine queues in answer is queued by then.
fn wake_on_in_room_steps(client: &Client, wanted: Arc<Notify>) -> EventHandlerDropGuard {
    let own = client.user_id().map(ToOwned::to_owned);
    let handle =
        client.add_event_handler(move |raw: Raw<AnySyncMessageLikeEvent>, client: Client| {
            let wanted = wanted.clone();
            let own = own.clone();
            async move {
                let Ok(step) = raw.deserialize_as_unchecked::<InRoomStep>() else {
                    return;
                };
                if !step.event_type.starts_with("m.key.verification.")
                    || Some(&step.sender) == own.as_ref()
                {
                    return;
                }
                let Some(relation) = step.content.relates_to else {
                    return;
                };
                let flow_id = relation.event_id.as_str();
                let encryption = client.encryption();
                let known = encryption
                    .get_verification(&step.sender, flow_id)
                    .await
                    .is_some()
                    || encryption
                        .get_verification_request(&step.sender, flow_id)
                        .await
                        .is_some();
                if known {
                    wanted.notify_one();
                }
            }
        });
    client.event_handler_drop_guard(handle)
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
        let encryption = self.session.client().encryption();
        let identity = match encryption
            .get_user_identity(user_id)
            .await
            .map_err(EngineError::matrix)?
        {
            Some(identity) => Some(identity),
            None => encryption
                .request_user_identity(user_id)
                .await
                .map_err(classify)?,
        };
        let identity = identity.ok_or_else(|| EngineError::NotVerifiable(user_id.to_string()))?;
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
