//! Links in messages ask before they open: a web link shows a dialog with its full address
//! and the host it really goes to, and nothing opens before the person chooses Open; a
//! matrix.to link to a room opens that room inside Sotto.

use adw::prelude::*;
use matrix_sdk::ruma::events::room::message::RoomMessageEventContent;

use crate::harness::ui::{all, on_gtk_thread, open_window, screenshot, settle, wait_for};
use crate::harness::{self, PATIENCE, TestProfile, peers, synapse};

/// Claims one host, goes to another (the part before the @ is a user name).
const DECEPTIVE: &str = "https://bank.example.com@evil.example/login?next=%2Fhome";

fn message_dialogs() -> Vec<adw::MessageDialog> {
    gtk::Window::list_toplevels()
        .into_iter()
        .filter_map(|w| w.downcast::<adw::MessageDialog>().ok())
        .filter(|d| d.is_visible())
        .collect()
}

/// The shown body label of the message whose text contains `text`, once it shows (rows are
/// made, and rebound, while the list settles).
fn body_label(window: &sotto::ui::window::Window, text: &str, what: &str) -> gtk::Label {
    let find = || {
        all::<gtk::Label>(&window.room_view())
            .into_iter()
            .find(|l| l.has_css_class("message-body") && l.is_mapped() && l.text().contains(text))
    };
    wait_for(what, PATIENCE, || find().is_some(), String::new);
    find().expect("the label just found")
}

#[test]
fn a_link_asks_before_it_opens_and_a_room_link_opens_inside() {
    let test = TestProfile::new();
    let server = synapse::shared();
    let (links_room, other_room) = harness::runtime().block_on(async {
        let (user, session, friend) = test.signed_in_with_friend(server, "links").await;
        let links = peers::create_room(&friend, "Links", false, &[&user.user_id]).await;
        let other = peers::create_room(&friend, "Elsewhere", false, &[&user.user_id]).await;
        for room in [&links, &other] {
            session
                .client()
                .join_room_by_id(room.room_id())
                .await
                .unwrap();
        }
        links
            .send(RoomMessageEventContent::text_html(
                "Log in at https://bank.example.com",
                format!("Log in at <a href=\"{DECEPTIVE}\">https://bank.example.com</a>"),
            ))
            .await
            .unwrap();
        (links.room_id().to_string(), other.room_id().to_string())
    });

    let accounts = test.accounts.clone();
    on_gtk_thread(move || {
        let window = open_window(accounts, 360, 720, "session");
        wait_for(
            "both rooms",
            PATIENCE,
            || window.rooms().n_items() == 2,
            || window.page(),
        );
        window.open_room(&crate::harness::rid(&links_room));
        let label = body_label(&window, "Log in at", "the message with the link");
        assert!(message_dialogs().is_empty());

        // A tap on the link: Sotto handles it (GTK's own handler would open it at once),
        // and asks first, naming the real host and the whole address.
        let handled: bool = label.emit_by_name("activate-link", &[&DECEPTIVE]);
        assert!(handled, "Sotto handles the link itself");
        wait_for(
            "the dialog",
            PATIENCE,
            || !message_dialogs().is_empty(),
            String::new,
        );
        let dialog = message_dialogs().remove(0);
        assert_eq!(dialog.heading().as_deref(), Some("Open This Link?"));
        assert_eq!(
            dialog.body().as_str(),
            "It goes to evil.example. Open it only if you trust that site."
        );
        assert!(
            all::<gtk::Label>(&dialog)
                .iter()
                .any(|l| l.text() == DECEPTIVE),
            "the full address is shown"
        );
        assert_eq!(dialog.default_response().as_deref(), Some("cancel"));
        assert_eq!(dialog.close_response().as_str(), "cancel");
        crate::harness::ui::present_at(&dialog, 360, 720);
        screenshot(&dialog, "link-confirm-360x720");
        dialog.response("cancel");
        dialog.destroy();
        settle();
        assert_eq!(
            window.open_room_id().as_ref().map(|id| id.as_str()),
            Some(links_room.as_str())
        );

        // A matrix.to link to a room the account is in opens that room, without a dialog
        // (on the row showing the message now: the list may have rebound its rows).
        let label = body_label(&window, "Log in at", "the message's row, shown again");
        let link = format!("https://matrix.to/#/{other_room}");
        let handled: bool = label.emit_by_name("activate-link", &[&link]);
        assert!(handled);
        wait_for(
            "the other room",
            PATIENCE,
            || window.open_room_id().as_deref() == Some(&crate::harness::rid(other_room.as_str())),
            || format!("{:?}", window.open_room_id()),
        );
        assert!(message_dialogs().is_empty(), "no dialog for a room link");
        window.destroy();
    });
}
