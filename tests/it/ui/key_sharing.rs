//! The key sharing rule as the person meets it: a new session of their own account is
//! announced over the window with Verify and Sign It Out; a new session of someone without
//! cross-signing shows in the room's banner until confirmed.

use std::time::Duration;

use adw::prelude::*;
use sotto::engine::session::Session;
use sotto::engine::trust::identities;
use sotto::ui::trust::identity_banner::IdentityBanner;

use super::trust::{both_sizes, engine, message_dialog, wait_for_dialog, window_with_sync};
use crate::engine::trust::wait_for_device;
use crate::harness::nio::NioPeer;
use crate::harness::ui::{on_gtk_thread, present_at, settle, wait_for};
use crate::harness::{self, PATIENCE, TestProfile, peers, synapse};

#[test]
fn a_new_session_of_the_account_is_announced_with_verify_and_sign_out() {
    let (test, user) = TestProfile::signed_in("ui-announce");
    let accounts = test.accounts.clone();
    on_gtk_thread(move || {
        let window = window_with_sync(accounts);
        settle();
        assert!(
            message_dialog("new-session-alert").is_none(),
            "nothing new yet"
        );
        let rogue = engine(async move {
            let client = peers::login(synapse::shared(), &user).await;
            client.device_id().unwrap().to_string()
        });
        let dialog = wait_for_dialog("new-session-alert");
        assert_eq!(
            dialog.heading().unwrap().as_str(),
            "A New Session Signed In to Your Account"
        );
        let body = dialog.body();
        assert!(
            body.contains(&rogue) && body.contains("“test peer”"),
            "names the session: {body}"
        );
        assert!(dialog.has_response("verify") && dialog.has_response("sign-out"));
        both_sizes(&dialog, "new-session-alert");
        dialog.response("sign-out");
        // libadwaita 1.2 leaves the dialog open after `response()`; its button closes it.
        dialog.close();
        // Signing it out asks for the password, in the account settings.
        let asking = || {
            gtk::Window::list_toplevels()
                .into_iter()
                .filter(|w| w.is_visible())
                .filter_map(|w| w.downcast::<adw::MessageDialog>().ok())
                .find(|d| d.heading().is_some_and(|h| h == "Sign Out Session?"))
        };
        wait_for(
            "the password question",
            PATIENCE,
            || asking().is_some(),
            String::new,
        );
        asking().unwrap().close();
        window.destroy();
    });
}

#[test]
fn a_new_session_of_someone_without_cross_signing_shows_in_the_banner_until_confirmed() {
    let (test, sotto_user) = TestProfile::signed_in("ui-tofu");
    let accounts = test.accounts.clone();
    let server = synapse::shared();
    let nio_user = harness::runtime().block_on(server.register("ui-tofu-nio"));
    on_gtk_thread(move || {
        let window = window_with_sync(accounts);
        let session: Session = window.session().unwrap();
        let (s, nio_id, sotto_id) = (
            session.clone(),
            nio_user.clone(),
            sotto_user.user_id.clone(),
        );
        // nio's first session is met; a second one appears later.
        let (room, nio_new) = engine(async move {
            let server = synapse::shared();
            let mut nio = NioPeer::login(server, &nio_id).await;
            let room_id = nio.create_room("Old client", true, &[&sotto_id]).await;
            let typed: matrix_sdk::ruma::OwnedRoomId = room_id.as_str().try_into().unwrap();
            s.client().join_room_by_id(&typed).await.unwrap();
            nio.wait_for_member(&room_id, &sotto_id).await;
            // Getting ready to send meets nio's sessions (and follows them from then on).
            identities::ensure_can_send(&s, &crate::harness::rid(&room_id))
                .await
                .expect("the sessions met first are kept");
            wait_for_device(&s, &nio_id.user_id, &nio.device_id).await;
            let nio_new = NioPeer::login(server, &nio_id).await;
            wait_for_device(&s, &nio_id.user_id, &nio_new.device_id).await;
            (room_id, (nio, nio_new))
        });
        let banner = IdentityBanner::new();
        let page = gtk::Box::new(gtk::Orientation::Vertical, 0);
        page.append(
            &gtk::Label::builder()
                .label("(conversation)")
                .vexpand(true)
                .build(),
        );
        page.append(&banner);
        page.append(&gtk::Entry::new());
        let host = gtk::Window::builder().child(&page).build();
        banner.follow(session.clone(), &crate::harness::rid(&room));
        present_at(&host, 360, 720);
        wait_for(
            "the new session in the banner",
            PATIENCE,
            || banner.blocks_sending(),
            || format!("{:?}", banner.texts()),
        );
        let waiting = banner.unconfirmed_sessions();
        assert_eq!(waiting.len(), 1);
        assert_eq!(waiting[0].device_id.as_str(), nio_new.1.device_id);
        assert!(
            banner.texts()[0].contains("signed in on a new session"),
            "{:?}",
            banner.texts()
        );
        both_sizes(&host, "new-session-banner");
        let target = (
            waiting[0].user_id.to_string(),
            waiting[0].device_id.to_string(),
        )
            .to_variant();
        assert!(
            WidgetExt::activate_action(&banner, "identity-banner.confirm", Some(&target)).is_ok()
        );
        wait_for(
            "the banner to go",
            Duration::from_secs(60),
            || !banner.blocks_sending(),
            || format!("{:?}", banner.texts()),
        );
        let (s, r) = (session.clone(), room.clone());
        engine(async move { identities::ensure_can_send(&s, &crate::harness::rid(&r)).await })
            .expect("sending goes on");
        host.destroy();
        window.destroy();
        drop(nio_new);
    });
}
