//! What the at-rest scans share: a friend (a matrix-sdk peer) with an encrypted and an
//! unencrypted room, both joined by Sotto's account, on a server of the test's own.

use matrix_sdk::{Client, Room};
use sotto::engine::session::Session;
use sotto::engine::sync::AccountSync;

use crate::harness::sotto_room::SottoRoom;
use crate::harness::synapse::Synapse;
use crate::harness::{TestProfile, peers};

/// The two rooms, seen from both sides.
pub struct TwoRooms {
    pub friend: Client,
    /// The friend's side of the encrypted room and of the unencrypted one.
    pub secret_room: Room,
    pub open_room: Room,
    pub session: Session,
    pub sync: AccountSync,
    /// Sotto's side.
    pub sotto_secret: SottoRoom,
    pub sotto_open: SottoRoom,
}

/// Registers `name` and `name-friend` on `server`; the friend makes the rooms, Sotto (in
/// `test`'s accounts) signs in and joins both, and the friend has seen the join and Sotto's
/// device keys, so what it sends from now on is encrypted for Sotto.
pub async fn two_rooms(server: &Synapse, test: &TestProfile, name: &str) -> TwoRooms {
    let user = server.register(name).await;
    let friend_user = server.register(&format!("{name}-friend")).await;
    let friend = peers::login(server, &friend_user).await;
    let secret_room = peers::create_room(&friend, "Encrypted", true, &[&user.user_id]).await;
    let open_room = peers::create_room(&friend, "Unencrypted", false, &[&user.user_id]).await;
    let session = test
        .accounts
        .login(&server.url(), &user.localpart, &user.password)
        .await
        .unwrap();
    let sync = AccountSync::start(&session).await.unwrap();
    let sotto_secret = SottoRoom::open(&session, &sync, secret_room.room_id().as_str()).await;
    let sotto_open = SottoRoom::open(&session, &sync, open_room.room_id().as_str()).await;
    peers::wait_for_device_keys(&friend, &user.user_id, &session.device_id()).await;
    friend
        .sync_once(Default::default())
        .await
        .expect("the peer syncs");
    TwoRooms {
        friend,
        secret_room,
        open_room,
        session,
        sync,
        sotto_secret,
        sotto_open,
    }
}
