//! One verification as it runs: its state as a stream, the steps the person takes
//! (accept, start the emoji, confirm, mismatch, cancel), and the tasks that drive it and
//! end it when the other session goes.

use std::sync::{Arc, Mutex};

use futures_util::{Stream, StreamExt};
use matrix_sdk::Client;
use matrix_sdk::encryption::verification::{
    SasState, SasVerification, Verification, VerificationRequest, VerificationRequestState,
};
use matrix_sdk::ruma::OwnedUserId;
use tokio::sync::{Notify, mpsc, watch};

use crate::engine::trust::classify;
use crate::engine::{EngineError, Result};

use super::{CancelKind, CancelReason, FlowState, SasEmoji, cancel_reason};

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
    pub(super) fn new(request: VerificationRequest, client: Client, wake: Arc<Notify>) -> Self {
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
    pub fn other_user_id(&self) -> OwnedUserId {
        self.request.other_user_id().to_owned()
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
        if crate::engine::trust::identities::is_verified_locally(&client, &user_id).await {
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
