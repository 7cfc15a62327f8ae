//! Sotto and a client on another crypto implementation (matrix-nio on libolm) share an
//! encrypted room: each decrypts what the other sends.

use sotto::engine::sync::AccountSync;

use crate::harness::nio::NioPeer;
use crate::harness::sotto_room::SottoRoom;
use crate::harness::synapse::{self, random_hex};
use crate::harness::{self, TestProfile};

#[test]
fn sotto_and_nio_decrypt_each_others_messages() {
    let (test, sotto_user) = TestProfile::signed_in("interop-sotto");
    harness::runtime().block_on(async {
        let server = synapse::shared();
        let entry = test.accounts.list().unwrap().remove(0);
        let session = test.accounts.restore(&entry).await.unwrap();
        let sync = AccountSync::start(&session).await.unwrap();

        let nio_user = server.register("interop-nio").await;
        let mut nio = NioPeer::login(server, &nio_user).await;
        let room_id = nio
            .create_room("Interop", true, &[&sotto_user.user_id])
            .await;
        let room = SottoRoom::open(&session, &sync, &room_id).await;
        nio.wait_for_member(&room_id, &sotto_user.user_id).await;
        // nio shares its room key only with devices it knows and trusts: wait until Sotto's
        // sync has published the device's keys, then trust that device.
        nio.trust_device(&sotto_user.user_id, &session.device_id())
            .await;

        let to_sotto = format!("from nio {}", random_hex(8));
        let sent = nio.send_text(&room_id, &to_sotto).await;
        let shown = room.wait_for_text(&to_sotto).await;
        assert_eq!(shown.event_id.as_str(), sent);
        assert_eq!(shown.sender, nio.user_id);
        assert!(shown.was_encrypted, "nio's message was sent encrypted");

        let to_nio = format!("from Sotto {}", random_hex(8));
        let sent = room.send_text(&to_nio).await;
        let received = nio.wait_for_text(&room_id, &to_nio).await;
        assert_eq!(received.event_id, sent.as_str());
        assert_eq!(received.sender, sotto_user.user_id);
        assert!(received.decrypted, "Sotto's message reached nio encrypted");
        sync.stop().await;
    });
}
