//! What the composer does to the room: sending (with the local echo scrolled into view),
//! attaching files (chooser, drop, paste) through the preview, keeping the draft, and
//! typing notices both ways.

use std::cell::RefCell;
use std::time::Duration;

use adw::prelude::*;
use gtk::subclass::prelude::*;
use gtk::{gio, glib};

use super::attach;
use super::composer::{Composer, Mode};
use crate::engine::timeline::Outgoing;
use crate::i18n::{gettext, gettext_f, ngettext};
use crate::ui::bridge::{spawn_tokio, spawn_ui};
use crate::ui::error_text::describe;
use crate::ui::gsettings::settings;

/// Typing notices expire on the server; they are renewed this often while typing.
const TYPING_RENEW: Duration = Duration::from_secs(4);
/// Without a key press for this long, the person stopped typing.
const TYPING_IDLE: Duration = Duration::from_secs(5);

impl super::RoomView {
    pub(super) fn send(&self, outgoing: Outgoing, mode: Mode) {
        let Some(timeline) = self.timeline() else {
            return;
        };
        self.stop_typing();
        if let Some(source) = self.imp().draft_timer.take() {
            source.remove();
        }
        self.scroll_to_latest();
        let view = self.downgrade();
        spawn_ui(async move {
            let result = spawn_tokio(async move {
                let sent = match &mode {
                    Mode::New => timeline.send(&outgoing).await,
                    Mode::Reply { event_id } => timeline.reply(&outgoing, event_id).await,
                    Mode::Edit { id } => timeline.edit(id, &outgoing).await,
                };
                let _ = timeline.clear_draft().await;
                sent
            })
            .await;
            let Some(view) = view.upgrade() else {
                return;
            };
            if let Err(err) = result {
                view.toast(&describe(&err));
            }
            view.imp().sharing_notice.refresh();
        });
    }

    pub(super) fn text_changed(&self, composer: &Composer) {
        let imp = self.imp();
        // Drafts: saved a second after the last change, in the encrypted store only.
        if matches!(composer.mode(), Mode::Edit { .. }) {
            return;
        }
        if let Some(source) = imp.draft_timer.take() {
            source.remove();
        }
        let view = self.downgrade();
        let source = glib::timeout_add_local_once(Duration::from_secs(1), move || {
            if let Some(view) = view.upgrade() {
                view.imp().draft_timer.replace(None);
                view.flush_draft();
            }
        });
        imp.draft_timer.replace(Some(source));

        if composer.text().is_empty() {
            self.stop_typing();
        } else {
            self.typing_activity();
        }
    }

    pub(super) fn flush_draft(&self) {
        let imp = self.imp();
        if let Some(source) = imp.draft_timer.take() {
            source.remove();
        }
        let Some(timeline) = self.timeline() else {
            return;
        };
        if matches!(imp.composer.mode(), Mode::Edit { .. }) {
            return;
        }
        let text = imp.composer.text();
        crate::ui::bridge::runtime().spawn(async move {
            if let Err(err) = timeline.save_draft(&text).await {
                tracing::warn!("the draft could not be saved: {err}");
            }
        });
    }

    pub(super) fn typing_activity(&self) {
        let imp = self.imp();
        if !settings().boolean("send-typing-notices") {
            return;
        }
        let renew = imp
            .typing_sent_at
            .get()
            .is_none_or(|t| t.elapsed() >= TYPING_RENEW);
        if renew {
            imp.typing_sent_at.set(Some(std::time::Instant::now()));
            self.send_typing(true);
        }
        if let Some(source) = imp.typing_timer.take() {
            source.remove();
        }
        let view = self.downgrade();
        let source = glib::timeout_add_local_once(TYPING_IDLE, move || {
            if let Some(view) = view.upgrade() {
                view.imp().typing_timer.replace(None);
                view.stop_typing();
            }
        });
        imp.typing_timer.replace(Some(source));
    }

    pub(super) fn stop_typing(&self) {
        let imp = self.imp();
        if let Some(source) = imp.typing_timer.take() {
            source.remove();
        }
        if imp.typing_sent_at.take().is_some() {
            self.send_typing(false);
        }
    }

    pub(super) fn send_typing(&self, typing: bool) {
        if let Some(timeline) = self.timeline() {
            crate::ui::bridge::runtime().spawn(async move {
                if let Err(err) = timeline.set_typing(typing).await {
                    tracing::debug!("typing notice not sent: {err}");
                }
            });
        }
    }

    pub(super) fn show_typing(&self, names: &[String]) {
        let label = &self.imp().typing;
        let text = match names {
            [] => String::new(),
            [one] => gettext_f("{name} is typing…", &[("name", one)]),
            [one, two] => gettext_f(
                "{first} and {second} are typing…",
                &[("first", one), ("second", two)],
            ),
            many => {
                let n = u32::try_from(many.len()).unwrap_or(u32::MAX);
                ngettext("{count} person is typing…", "{count} people are typing…", n)
                    .replace("{count}", &many.len().to_string())
            }
        };
        label.set_text(&text);
        label.set_visible(!text.is_empty());
    }

    /// Asks for a picture or file to send (through the portal when there is one).
    pub fn choose_attachment(&self) {
        let Some(parent) = self.root().and_downcast::<gtk::Window>() else {
            return;
        };
        let chooser = gtk::FileChooserNative::new(
            Some(&gettext("Attach a Picture or File")),
            Some(&parent),
            gtk::FileChooserAction::Open,
            Some(&gettext("_Attach")),
            Some(&gettext("_Cancel")),
        );
        chooser.set_modal(true);
        let pictures = gtk::FileFilter::new();
        pictures.set_name(Some(&gettext("Pictures")));
        pictures.add_mime_type("image/*");
        let all = gtk::FileFilter::new();
        all.set_name(Some(&gettext("All Files")));
        all.add_pattern("*");
        chooser.add_filter(&pictures);
        chooser.add_filter(&all);
        chooser.set_filter(&pictures);
        // The chooser must live until it answers: the closure keeps it, and lets it go then.
        let keep = RefCell::new(Some(chooser.clone()));
        let view = self.downgrade();
        chooser.connect_response(move |chooser, response| {
            let file = (response == gtk::ResponseType::Accept)
                .then(|| chooser.file())
                .flatten();
            keep.borrow_mut().take();
            if let (Some(view), Some(file)) = (view.upgrade(), file) {
                view.attach_file(file);
            }
        });
        chooser.show();
    }

    /// Opens the send preview for `file`.
    pub fn attach_file(&self, file: gio::File) -> Option<attach::Preview> {
        self.open_preview(attach::Source::File(file))
    }

    /// Opens the send preview for each of `files` (dropped together), one after the other:
    /// the next when the previous is sent or cancelled.
    pub fn attach_files(&self, files: Vec<gio::File>) -> Option<attach::Preview> {
        let count = files.len();
        let queue: std::collections::VecDeque<(usize, gio::File)> = files
            .into_iter()
            .enumerate()
            .map(|(i, f)| (i + 1, f))
            .collect();
        self.attach_next(queue, count)
    }

    fn attach_next(
        &self,
        mut queue: std::collections::VecDeque<(usize, gio::File)>,
        count: usize,
    ) -> Option<attach::Preview> {
        let (number, file) = queue.pop_front()?;
        let preview = self.attach_file(file)?;
        if count > 1 {
            preview.set_position(number, count);
        }
        if !queue.is_empty() {
            let view = self.downgrade();
            let rest = std::cell::RefCell::new(Some(queue));
            // When the preview goes (sent or cancelled; "destroy" would come too late).
            preview.window().connect_unrealize(move |_| {
                let (Some(view), Some(queue)) = (view.upgrade(), rest.take()) else {
                    return;
                };
                // After the closing window is gone, so the next one is presented on top.
                glib::idle_add_local_once(move || {
                    view.attach_next(queue, count);
                });
            });
        }
        Some(preview)
    }

    /// Opens the send preview for a picture pasted from the clipboard.
    pub fn attach_pasted(&self, texture: &gtk::gdk::Texture) -> Option<attach::Preview> {
        // A fresh PNG that GTK writes: nothing of the original file comes along.
        let png = texture.save_to_png_bytes();
        self.open_preview(attach::Source::Pasted(png.to_vec()))
    }

    pub(super) fn open_preview(&self, source: attach::Source) -> Option<attach::Preview> {
        let timeline = self.timeline()?;
        let parent = self.root().and_downcast::<gtk::Window>()?;
        Some(attach::Preview::open(&parent, timeline, source))
    }
}
