//! Hostile and broken input through the whole path (a peer → Synapse → Sotto's sync,
//! decryption and timeline): malformed events, dangerous HTML, a body near the size limit
//! (an encrypted event may hold about 48 KB of text),
//! direction overrides, and display names that imitate someone else. Each shows safely or as
//! a placeholder; nothing crashes.

use serde_json::json;
use sotto::engine::sync::AccountSync;
use sotto::engine::timeline::{Body, EventEntry};

use crate::harness::conversation::{Conversation, markup_of, text_of};
use crate::harness::{self, TestProfile, peers, synapse};

#[test]
fn hostile_messages_and_names_show_safely() {
    let (test, user) = TestProfile::signed_in("hostile-reader");
    harness::runtime().block_on(async {
        let server = synapse::shared();
        let entry = test.accounts.list().unwrap().remove(0);
        let session = test.accounts.restore(&entry).await.unwrap();
        let mallory = server.register("mallory").await;
        let frida = server.register("frida-real").await;
        let mallory_client = peers::login(server, &mallory).await;
        let frida_client = peers::login(server, &frida).await;
        peers::publish_sotto_keys(&session, &mallory_client).await;
        frida_client
            .account()
            .set_display_name(Some("Frida"))
            .await
            .unwrap();
        // Mallory takes the same name as Frida, with a direction override inside.
        mallory_client
            .account()
            .set_display_name(Some("Fri\u{202E}da"))
            .await
            .unwrap();
        let room = peers::create_room(
            &mallory_client,
            "Hostile",
            true,
            &[&user.user_id, &frida.user_id],
        )
        .await;
        frida_client.join_room_by_id(room.room_id()).await.unwrap();
        session
            .client()
            .join_room_by_id(room.room_id())
            .await
            .unwrap();
        let sync = AccountSync::start(&session).await.unwrap();
        let sotto = Conversation::open(&session, &sync, room.room_id().as_str()).await;
        mallory_client.sync_once(Default::default()).await.unwrap();
        frida_client.sync_once(Default::default()).await.unwrap();
        let mallory_room = mallory_client.get_room(room.room_id()).unwrap();
        let frida_room = frida_client.get_room(room.room_id()).unwrap();

        peers::send_text(&frida_room, "the real Frida").await;
        // Another Frida: the display name now needs the Matrix ID beside it.
        mallory_client
            .account()
            .set_display_name(Some("Frida"))
            .await
            .unwrap();
        mallory_client.sync_once(Default::default()).await.unwrap();
        let hostile_html = "<script>alert(1)</script><img src=\"http://tracker.example/p.png\">\
            <a href=\"javascript:alert(2)\">click me</a> <b><i>unclosed <u>tags";
        let sends = [
            json!({"msgtype": "m.text"}),
            json!({"msgtype": "m.text", "body": 42}),
            json!({"body": "no message type"}),
            json!({"msgtype": "m.text", "body": "hostile html", "format": "org.matrix.custom.html",
                   "formatted_body": hostile_html}),
            json!({"msgtype": "m.text", "body": "deep", "format": "org.matrix.custom.html",
                   "formatted_body": "<b>".repeat(5000) + "deep"}),
            json!({"msgtype": "m.text", "body": "x".repeat(40_000)}),
            json!({"msgtype": "m.text", "body": "abc\u{202E}fed evil\u{2066}"}),
        ];
        for content in sends {
            mallory_room
                .send_raw("m.room.message", content)
                .await
                .expect("the raw event is sent");
        }
        peers::send_text(&mallory_room, "the last one").await;

        sotto
            .wait_for("the last message", |e| text_of(e) == Some("the last one"))
            .await;
        let events: Vec<EventEntry> = sotto.events();
        // Mallory's messages only: her room creation, membership and name changes are
        // state events, and would make up the count without a single message shown.
        let from_mallory: Vec<&EventEntry> = events
            .iter()
            .filter(|e| e.sender == mallory.user_id && !matches!(e.body, Body::State(_)))
            .collect();
        assert_eq!(
            from_mallory.len(),
            8,
            "every message shows as a row: {events:#?}"
        );

        // Broken events show as something, never as trusted content.
        let texts: Vec<Option<&str>> = from_mallory.iter().map(|e| text_of(e)).collect();
        assert!(
            from_mallory
                .iter()
                .filter(|e| matches!(e.body, Body::Unsupported(_)) || text_of(e) == Some(""))
                .count()
                >= 1,
            "malformed events show as placeholders: {texts:?}"
        );

        let html = from_mallory
            .iter()
            .find(|e| text_of(e) == Some("hostile html"))
            .expect("the hostile HTML message");
        let markup = markup_of(html);
        assert!(!markup.contains("alert"), "{markup}");
        assert!(!markup.contains("javascript"), "{markup}");
        assert!(!markup.contains("tracker.example"), "{markup}");
        assert!(markup.contains("click me"), "{markup}");
        gtk_markup_parses(markup);

        let deep = from_mallory
            .iter()
            .find(|e| text_of(e) == Some("deep"))
            .expect("the deeply nested message");
        gtk_markup_parses(markup_of(deep));

        let long = from_mallory
            .iter()
            .find(|e| text_of(e).is_some_and(|t| t.len() >= 40_000))
            .expect("the long message");
        assert!(
            markup_of(long).chars().count() < 25_000,
            "a long body is shortened for display"
        );

        let overrides = from_mallory
            .iter()
            .find(|e| text_of(e).is_some_and(|t| t.starts_with("abc")))
            .expect("the message with overrides");
        assert_eq!(text_of(overrides), Some("abcfed evil"));
        assert!(!markup_of(overrides).contains('\u{202E}'));

        // Two members called Frida: both are shown with their Matrix IDs.
        let late = sotto
            .wait_for("Mallory's name settled", |e| {
                text_of(e) == Some("the last one") && e.sender_name.contains(&mallory.user_id)
            })
            .await;
        assert!(
            !late.sender_name.contains('\u{202E}'),
            "{}",
            late.sender_name
        );
        let real = sotto
            .wait_for("the real Frida disambiguated", |e| {
                text_of(e) == Some("the real Frida") && e.sender_name.contains(&frida.user_id)
            })
            .await;
        assert!(
            real.sender_name.starts_with("Frida"),
            "{}",
            real.sender_name
        );
        drop(sotto);
        sync.stop().await;
    });
}

/// The markup is valid for a GtkLabel (Pango does not know `<a>`; GtkLabel handles it).
fn gtk_markup_parses(markup: &str) {
    let without_links = regex_free_strip_links(markup);
    gtk::pango::parse_markup(&without_links, '\0')
        .unwrap_or_else(|e| panic!("invalid markup ({e}): {markup}"));
}

fn regex_free_strip_links(markup: &str) -> String {
    let mut out = String::with_capacity(markup.len());
    let mut rest = markup;
    while let Some(start) = rest.find("<a ") {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let end = after.find('>').map_or(after.len(), |i| i + 1);
        out.push_str("<span>");
        rest = &after[end..];
    }
    out.push_str(rest);
    out.replace("</a>", "</span>")
}
