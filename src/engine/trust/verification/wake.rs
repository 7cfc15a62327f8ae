//! Waking this session's own encryption sync so that the replies of an in-room
//! verification go out at once (see `wake_encryption_sync`).

use std::sync::Arc;

use matrix_sdk::Client;
use matrix_sdk::event_handler::EventHandlerDropGuard;
use matrix_sdk::ruma::api::client::to_device::send_event_to_device::v3::Request as ToDeviceRequest;
use matrix_sdk::ruma::events::{AnySyncMessageLikeEvent, ToDeviceEventType};
use matrix_sdk::ruma::serde::Raw;
use matrix_sdk::ruma::to_device::DeviceIdOrAllDevices;
use matrix_sdk::ruma::{OwnedEventId, OwnedUserId, TransactionId};
use serde::Deserialize;
use tokio::sync::Notify;

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
pub(super) async fn wake_encryption_sync(client: Client, wanted: Arc<Notify>) {
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
pub(super) fn wake_on_in_room_steps(client: &Client, wanted: Arc<Notify>) -> EventHandlerDropGuard {
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
