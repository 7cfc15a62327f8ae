//! Other people on the test server: plain matrix-sdk clients, headless, that log in, make
//! rooms and send messages for Sotto to receive.

use matrix_sdk::ruma::OwnedUserId;
use matrix_sdk::ruma::api::client::room::create_room::v3::Request as CreateRoomRequest;
use matrix_sdk::ruma::events::InitialStateEvent;
use matrix_sdk::ruma::events::room::encryption::RoomEncryptionEventContent;
use matrix_sdk::ruma::events::room::message::RoomMessageEventContent;
use matrix_sdk::{Client, Room};

use super::synapse::{Synapse, TestUser};

/// Logs `user` in as a second, headless client with an in-memory store.
pub async fn login(synapse: &Synapse, user: &TestUser) -> Client {
    let client = Client::builder()
        .homeserver_url(synapse.url())
        .build()
        .await
        .expect("a client for the test server");
    client
        .matrix_auth()
        .login_username(&user.localpart, &user.password)
        .initial_device_display_name("test peer")
        .send()
        .await
        .expect("the peer logs in");
    client
        .sync_once(Default::default())
        .await
        .expect("the peer syncs");
    client
}

/// Creates a room named `name`, encrypted or not, inviting `invite`.
pub async fn create_room(client: &Client, name: &str, encrypted: bool, invite: &[&str]) -> Room {
    let mut request = CreateRoomRequest::new();
    request.name = Some(name.to_owned());
    request.invite = invite
        .iter()
        .map(|u| OwnedUserId::try_from(*u).expect("a valid user ID"))
        .collect();
    if encrypted {
        request.initial_state = vec![
            InitialStateEvent::with_empty_state_key(
                RoomEncryptionEventContent::with_recommended_defaults(),
            )
            .to_raw_any(),
        ];
    }
    client
        .create_room(request)
        .await
        .expect("the room is created")
}

/// Sends a plain text message into `room` and returns its event ID.
pub async fn send_text(room: &Room, body: &str) -> String {
    room.send(RoomMessageEventContent::text_plain(body))
        .await
        .expect("the message is sent")
        .response
        .event_id
        .to_string()
}

/// Deletes `device_id` of `user` from `client`, answering the password prompt of the server.
pub async fn delete_device(client: &Client, user: &super::synapse::TestUser, device_id: &str) {
    use matrix_sdk::ruma::api::client::uiaa;
    let devices = [device_id.into()];
    if let Err(err) = client.delete_devices(&devices, None).await {
        let info = err
            .as_uiaa_response()
            .expect("the server asks for authentication");
        let mut password = uiaa::Password::new(
            uiaa::UserIdentifier::Matrix(uiaa::MatrixUserIdentifier::new(user.user_id.clone())),
            user.password.clone(),
        );
        password.session = info.session.clone();
        client
            .delete_devices(&devices, Some(uiaa::AuthData::Password(password)))
            .await
            .expect("the device is deleted");
    }
}

/// Waits until the server publishes the keys of `user_id`'s device `device_id`, so that
/// messages sent from now on are encrypted for it too.
pub async fn wait_for_device_keys(client: &Client, user_id: &str, device_id: &str) {
    use matrix_sdk::ruma::api::client::keys::get_keys;
    let user = OwnedUserId::try_from(user_id).expect("a valid user ID");
    let deadline = std::time::Instant::now() + super::PATIENCE;
    loop {
        let mut request = get_keys::v3::Request::new();
        request.device_keys.insert(user.clone(), Vec::new());
        let response = client.send(request).await.expect("keys/query answers");
        let published = response
            .device_keys
            .get(&user)
            .is_some_and(|devices| devices.keys().any(|d| d.as_str() == device_id));
        if published {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{device_id} never published its keys"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Lets Sotto's engine sync `session` until its device keys are on the server, then stops.
/// (A plain `sync_once` would store a sync token that sliding sync cannot use.)
pub async fn publish_sotto_keys(session: &sotto::engine::session::Session, observer: &Client) {
    let sync = sotto::engine::sync::AccountSync::start(session)
        .await
        .expect("the sync starts");
    wait_for_device_keys(observer, session.user_id().as_str(), &session.device_id()).await;
    sync.stop().await;
}

/// Syncs `client` until a message containing each of `texts` has arrived in `room`, decrypted
/// when the room is encrypted. An edit counts with its new text.
pub async fn wait_for_texts(client: &Client, room: &Room, texts: &[&str]) {
    use matrix_sdk::config::SyncSettings;
    use matrix_sdk::ruma::events::room::message::{OriginalSyncRoomMessageEvent, Relation};
    let (sender, mut received) = tokio::sync::mpsc::unbounded_channel::<String>();
    let handle = client.add_room_event_handler(
        room.room_id(),
        move |event: OriginalSyncRoomMessageEvent| {
            let mut text = event.content.body().to_owned();
            if let Some(Relation::Replacement(edit)) = &event.content.relates_to {
                text.push('\n');
                text.push_str(edit.new_content.msgtype.body());
            }
            let _ = sender.send(text);
            async {}
        },
    );
    let mut missing: Vec<&str> = texts.to_vec();
    let deadline = std::time::Instant::now() + super::PATIENCE;
    while !missing.is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the peer never received {} of the messages",
            missing.len()
        );
        client
            .sync_once(SyncSettings::default().timeout(std::time::Duration::from_millis(500)))
            .await
            .expect("the peer syncs");
        while let Ok(text) = received.try_recv() {
            missing.retain(|wanted| !text.contains(wanted));
        }
    }
    client.remove_event_handler(handle);
}

/// Sets the display name of the peer `client` (in every room it is in from then on).
pub async fn set_display_name(client: &Client, name: &str) {
    client
        .account()
        .set_display_name(Some(name))
        .await
        .expect("the display name is set");
}

/// Creates a direct chat named `name` with `with`, who is invited with `is_direct`.
pub async fn create_dm(client: &Client, name: &str, with: &str) -> Room {
    let mut request = CreateRoomRequest::new();
    request.name = Some(name.to_owned());
    request.is_direct = true;
    request.invite = vec![OwnedUserId::try_from(with).expect("a valid user ID")];
    client
        .create_room(request)
        .await
        .expect("the direct chat is created")
}

/// Creates an encrypted direct chat with `with`, who is invited with `is_direct`.
pub async fn create_encrypted_dm(client: &Client, with: &str) -> Room {
    let mut request = CreateRoomRequest::new();
    request.is_direct = true;
    request.invite = vec![OwnedUserId::try_from(with).expect("a valid user ID")];
    request.initial_state = vec![
        InitialStateEvent::with_empty_state_key(
            RoomEncryptionEventContent::with_recommended_defaults(),
        )
        .to_raw_any(),
    ];
    client
        .create_room(request)
        .await
        .expect("the direct chat is created")
}

/// Joins `room` for `session` as Sotto accepts a direct chat: the room is listed among the
/// account's direct chats (`m.direct`) with `with`.
pub async fn join_as_dm(session: &sotto::engine::session::Session, room: &Room, with: &Client) {
    let client = session.client();
    client
        .join_room_by_id(room.room_id())
        .await
        .expect("Sotto joins the direct chat");
    let partner = with.user_id().expect("the peer is signed in").to_owned();
    client
        .account()
        .mark_as_dm(room.room_id(), &[partner])
        .await
        .expect("the room is listed as a direct chat");
}

/// Sends a message into `room` that mentions `user_id` (a highlight for them).
pub async fn send_mention(room: &Room, user_id: &str, body: &str) {
    use matrix_sdk::ruma::events::Mentions;
    let user = OwnedUserId::try_from(user_id).expect("a valid user ID");
    let content =
        RoomMessageEventContent::text_plain(body).add_mentions(Mentions::with_user_ids([user]));
    room.send(content).await.expect("the mention is sent");
}

/// Sends, from `client`, the `m.key.verification.cancel` to-device message with `code` for
/// the verification `flow_id` to `user_id`'s device `device_id`: what a client sends when
/// its user cancels (`m.user`) or its clock runs out (`m.timeout`), whatever its own copy
/// of the flow says.
pub async fn send_verification_cancel_to_device(
    client: &Client,
    user_id: &str,
    device_id: &str,
    flow_id: &str,
    code: &str,
) {
    use matrix_sdk::ruma::api::client::to_device::send_event_to_device::v3::Request;
    use matrix_sdk::ruma::events::ToDeviceEventType;
    use matrix_sdk::ruma::serde::Raw;
    use matrix_sdk::ruma::to_device::DeviceIdOrAllDevices;
    use matrix_sdk::ruma::{OwnedDeviceId, TransactionId};
    let content = serde_json::json!({
        "transaction_id": flow_id,
        "code": code,
        "reason": "Timed out",
    });
    let content = Raw::from_json_string(content.to_string()).expect("a valid event");
    let user = OwnedUserId::try_from(user_id).expect("a valid user ID");
    let device = OwnedDeviceId::from(device_id);
    let messages = [(
        user,
        [(DeviceIdOrAllDevices::DeviceId(device), content)].into(),
    )]
    .into();
    let request = Request::new_raw(
        ToDeviceEventType::KeyVerificationCancel,
        TransactionId::new(),
        messages,
    );
    client.send(request).await.expect("the cancel is sent");
}

/// Sends, from `client`, the in-room `m.key.verification.cancel` event with `code` for the
/// verification whose request is the event `flow_id` in `room`.
pub async fn send_verification_cancel_in_room(room: &Room, flow_id: &str, code: &str) {
    let content = serde_json::json!({
        "code": code,
        "reason": "Timed out",
        "m.relates_to": { "rel_type": "m.reference", "event_id": flow_id },
    });
    room.send_raw("m.key.verification.cancel", content)
        .await
        .expect("the cancel is sent");
}
