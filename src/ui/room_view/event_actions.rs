//! The `room.*` actions on one message (reply, edit, react, copy, remove, retry, discard,
//! open or save its file), with the entry's unique ID as target, and the gestures and
//! menu of a row that reach them: rows, menus and tests all go through the same code.

use adw::prelude::*;
use gtk::subclass::prelude::*;
use gtk::{gio, glib};

use super::row::MessageRow;
use super::{RoomView, menu, save, viewer};
use crate::engine::timeline::{Entry, EntryKind};
use crate::i18n::gettext;
use crate::ui::bridge::{spawn_tokio, spawn_ui};
use crate::ui::diff_store;
use crate::ui::error_text::describe;

impl super::RoomView {
    pub(super) fn install_actions(&self) {
        let group = gio::SimpleActionGroup::new();
        let add = |name: &str, handler: fn(&RoomView, &str)| {
            let action = gio::SimpleAction::new(name, Some(glib::VariantTy::STRING));
            let view = self.downgrade();
            action.connect_activate(move |_, target| {
                let (Some(view), Some(id)) = (view.upgrade(), target.and_then(|t| t.str())) else {
                    return;
                };
                handler(&view, id);
            });
            group.add_action(&action);
        };
        add("reply", |view, id| view.start_reply(id));
        add("edit", |view, id| view.start_edit(id));
        add("remove", |view, id| view.confirm_remove(id));
        add("copy", |view, id| view.copy_text(id));
        add("retry", |view, id| view.retry(id));
        add("discard", |view, id| view.discard(id));
        add("open-menu", |view, id| {
            view.open_menu(id);
        });
        add("toggle-fold", |view, id| view.toggle_fold(id));
        add("view-picture", |view, id| {
            view.view_picture(id);
        });
        add("save-attachment", |view, id| view.save_attachment(id));
        let toggle = gio::SimpleAction::new(
            "toggle-reaction",
            Some(&<(String, String)>::static_variant_type()),
        );
        let view = self.downgrade();
        toggle.connect_activate(move |_, target| {
            let (Some(view), Some((id, key))) = (
                view.upgrade(),
                target.and_then(|t| t.get::<(String, String)>()),
            ) else {
                return;
            };
            view.toggle_reaction(&id, &key);
        });
        group.add_action(&toggle);
        self.insert_action_group("room", Some(&group));
    }

    /// Opens the picture of the event `unique_id` in the viewer, with the room's other
    /// pictures (those loaded in the view) a swipe away.
    pub fn view_picture(&self, unique_id: &str) -> Option<viewer::PictureViewer> {
        let store = self.store()?;
        let session = self.timeline()?.session().clone();
        let window = self.root().and_downcast::<gtk::Window>()?;
        let pictures = self.pictures();
        let mut shown = Vec::new();
        let mut index = None;
        for i in 0..store.n_items() {
            let Some(entry) = store
                .item(i)
                .and_then(|item| diff_store::value_of::<Entry>(&item))
            else {
                continue;
            };
            let EntryKind::Event(event) = entry.kind else {
                continue;
            };
            let crate::engine::timeline::Body::Attachment(
                crate::engine::timeline::Attachment::Image(media),
            ) = &event.body
            else {
                continue;
            };
            if entry.unique_id == unique_id {
                index = Some(shown.len());
            }
            let preview = pictures
                .as_ref()
                .and_then(|p| p.result(media))
                .and_then(Result::ok)
                .map(|shown| shown.first().clone());
            shown.push(viewer::ViewedPicture {
                sender: event.sender_name.clone(),
                media: (**media).clone(),
                preview,
            });
        }
        Some(viewer::PictureViewer::open(&window, session, shown, index?))
    }

    /// Asks where to save the file of the event `unique_id`, then saves it there (as its
    /// sender sent it, decrypted) and says so.
    pub(super) fn save_attachment(&self, unique_id: &str) {
        let (Some(event), Some(timeline)) = (self.event(unique_id), self.timeline()) else {
            return;
        };
        let Some(media) = event.media().cloned() else {
            return;
        };
        let Some(window) = self.root().and_downcast::<gtk::Window>() else {
            return;
        };
        let view = self.downgrade();
        save::ask_and_save(
            &window,
            &gettext("Save File"),
            &gettext("file"),
            timeline.session().clone(),
            media,
            move |sentence| {
                if let Some(view) = view.upgrade() {
                    view.toast(sentence);
                }
            },
        );
    }

    pub(super) fn start_reply(&self, unique_id: &str) {
        if let Some(event) = self.event(unique_id)
            && let Some(event_id) = event.event_id.clone()
        {
            let text = event
                .copy_text()
                .map_or_else(|| gettext("A message"), str::to_owned);
            self.imp()
                .composer
                .set_reply(event_id, &event.sender_name, &text);
        }
    }

    pub(super) fn start_edit(&self, unique_id: &str) {
        if let Some(event) = self.event(unique_id)
            && event.can_edit
        {
            let text = event.copy_text().unwrap_or_default().to_owned();
            self.imp().composer.set_edit(event.id.clone(), &text);
        }
    }

    pub(super) fn copy_text(&self, unique_id: &str) {
        if let Some(text) = self
            .event(unique_id)
            .and_then(|e| e.copy_text().map(str::to_owned))
        {
            self.clipboard().set_text(&text);
            self.toast(&gettext("Copied"));
        }
    }

    pub(super) fn confirm_remove(&self, unique_id: &str) {
        let Some(event) = self.event(unique_id) else {
            return;
        };
        let Some(window) = self.root().and_downcast::<gtk::Window>() else {
            return;
        };
        let view = self.downgrade();
        crate::ui::dialogs::confirm_destructive(
            &window,
            &gettext("Remove Message?"),
            &gettext("The message is removed for everyone in the room. This cannot be undone."),
            &gettext("_Remove"),
            move || {
                let Some(timeline) = view.upgrade().and_then(|v| v.timeline()) else {
                    return;
                };
                let id = event.id.clone();
                let weak = view.clone();
                spawn_ui(async move {
                    let result = spawn_tokio(async move { timeline.remove(&id, None).await }).await;
                    if let (Err(err), Some(view)) = (result, weak.upgrade()) {
                        view.toast(&describe(&err));
                    }
                });
            },
        );
    }

    pub(super) fn toggle_reaction(&self, unique_id: &str, key: &str) {
        let (Some(event), Some(timeline)) = (self.event(unique_id), self.timeline()) else {
            return;
        };
        let key = key.to_owned();
        let view = self.downgrade();
        spawn_ui(async move {
            let result =
                spawn_tokio(async move { timeline.toggle_reaction(&event.id, &key).await }).await;
            if let (Err(err), Some(view)) = (result, view.upgrade()) {
                view.toast(&describe(&err));
            }
        });
    }

    pub(super) fn retry(&self, unique_id: &str) {
        self.on_local_echo(unique_id, false);
    }

    pub(super) fn discard(&self, unique_id: &str) {
        self.on_local_echo(unique_id, true);
    }

    pub(super) fn on_local_echo(&self, unique_id: &str, discard: bool) {
        let (Some(event), Some(timeline)) = (self.event(unique_id), self.timeline()) else {
            return;
        };
        let view = self.downgrade();
        spawn_ui(async move {
            let result = spawn_tokio(async move {
                if discard {
                    timeline.discard(&event.id).await
                } else {
                    timeline.retry(&event.id).await
                }
            })
            .await;
            if let (Err(err), Some(view)) = (result, view.upgrade()) {
                view.toast(&describe(&err));
            }
        });
    }

    pub(super) fn add_row_gestures(&self, row: &MessageRow) {
        let click = gtk::GestureClick::new();
        click.set_button(gtk::gdk::BUTTON_SECONDARY);
        let weak = row.downgrade();
        click.connect_pressed(move |gesture, _, x, y| {
            if let Some(row) = weak.upgrade() {
                gesture.set_state(gtk::EventSequenceState::Claimed);
                let _ = menu::open(&row, Some((x, y)));
            }
        });
        row.add_controller(click);
        let press = gtk::GestureLongPress::new();
        press.set_touch_only(true);
        let weak = row.downgrade();
        press.connect_pressed(move |gesture, x, y| {
            if let Some(row) = weak.upgrade() {
                gesture.set_state(gtk::EventSequenceState::Claimed);
                let _ = menu::open(&row, Some((x, y)));
            }
        });
        row.add_controller(press);
    }

    /// Opens the actions menu of the row showing `unique_id` (keyboard users and tests).
    pub fn open_menu(&self, unique_id: &str) -> Option<gtk::Popover> {
        let mut child = self.imp().list.first_child();
        while let Some(widget) = child {
            if let Some(row) = widget
                .first_child()
                .and_downcast::<MessageRow>()
                .filter(|r| r.unique_id() == unique_id)
            {
                return menu::open(&row, None);
            }
            child = widget.next_sibling();
        }
        None
    }
}
