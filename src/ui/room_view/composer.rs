//! The message composer: a multi-line text view with a send button, a bar that shows what
//! is being answered or edited, and `@` completion of room members. Enter sends and
//! Shift+Enter starts a new line on a keyboard; while the person uses the touch screen,
//! Enter makes a new line and the send button sends.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use adw::prelude::*;
use gtk::glib;
use gtk::subclass::prelude::*;

use crate::engine::ids::{OwnedEventId, OwnedUserId};
use crate::engine::timeline::{ItemId, MemberName, Mention, Outgoing};
use crate::i18n::gettext;
use crate::ui::widgets::{icon_button, labelled_text_view};

/// What the composer's text is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// A new message.
    New,
    /// A reply to the event with this ID.
    Reply {
        /// The answered event.
        event_id: OwnedEventId,
    },
    /// A new text for an own message.
    Edit {
        /// The edited message.
        id: ItemId,
    },
}

/// The signal the composer emits with a `Sent` each time the person sends.
const SEND: &str = "send";
/// The signal the composer emits when the person asks to attach a picture or a file.
const ATTACH: &str = "attach";
/// The signal the composer emits with a picture pasted from the clipboard.
const PASTE_IMAGE: &str = "paste-image";

/// A message the person sends and what it is for, as the `send` signal carries it.
#[derive(Clone, Debug, glib::Boxed)]
#[boxed_type(name = "SottoSentMessage")]
pub struct Sent {
    /// The message as typed.
    pub outgoing: Outgoing,
    /// What it is for.
    pub mode: Mode,
}

/// Finds members for completion: the query, and where to deliver the answer.
pub type MemberLookup = Rc<dyn Fn(String, Box<dyn FnOnce(Vec<MemberName>)>)>;

mod imp {
    use super::*;

    pub struct Composer {
        pub context: gtk::Box,
        pub context_label: gtk::Label,
        pub context_cancel: gtk::Button,
        pub view: gtk::TextView,
        pub placeholder: gtk::Label,
        pub send: gtk::Button,
        pub attach: gtk::Button,
        pub completion: gtk::Popover,
        pub completion_list: gtk::ListBox,
        pub mode: RefCell<Option<Mode>>,
        pub mentions: RefCell<Vec<Mention>>,
        pub touch: Cell<bool>,
        pub lookup: RefCell<Option<MemberLookup>>,
        pub completing: RefCell<Option<String>>,
    }

    impl Default for Composer {
        fn default() -> Self {
            Self {
                context: gtk::Box::default(),
                context_label: gtk::Label::default(),
                context_cancel: icon_button("window-close-symbolic", &gettext("Cancel")),
                view: labelled_text_view(&gettext("Message")),
                placeholder: gtk::Label::new(Some(&gettext("Write a message…"))),
                send: icon_button("sotto-send-symbolic", &gettext("Send")),
                attach: icon_button(
                    "mail-attachment-symbolic",
                    &gettext("Attach a Picture or File"),
                ),
                completion: gtk::Popover::default(),
                completion_list: gtk::ListBox::default(),
                mode: RefCell::default(),
                mentions: RefCell::default(),
                touch: Cell::default(),
                lookup: RefCell::default(),
                completing: RefCell::default(),
            }
        }
    }

    #[glib::object_subclass]
    impl ObjectSubclass for Composer {
        const NAME: &'static str = "SottoComposer";
        type Type = super::Composer;
        type ParentType = gtk::Box;
    }

    impl ObjectImpl for Composer {
        fn constructed(&self) {
            self.parent_constructed();
            self.obj().build();
        }

        fn dispose(&self) {
            self.completion.unparent();
        }

        fn signals() -> &'static [glib::subclass::Signal] {
            static SIGNALS: std::sync::OnceLock<Vec<glib::subclass::Signal>> =
                std::sync::OnceLock::new();
            SIGNALS.get_or_init(|| {
                vec![
                    glib::subclass::Signal::builder(SEND)
                        .param_types([Sent::static_type()])
                        .build(),
                    glib::subclass::Signal::builder(ATTACH).build(),
                    glib::subclass::Signal::builder(PASTE_IMAGE)
                        .param_types([gtk::gdk::Texture::static_type()])
                        .build(),
                ]
            })
        }
    }
    impl WidgetImpl for Composer {}
    impl BoxImpl for Composer {}
}

glib::wrapper! {
    /// The message composer.
    pub struct Composer(ObjectSubclass<imp::Composer>)
        @extends gtk::Box, gtk::Widget,
        @implements gtk::Buildable, gtk::ConstraintTarget, gtk::Orientable;
}

impl Default for Composer {
    fn default() -> Self {
        glib::Object::new()
    }
}

impl Composer {
    fn build(&self) {
        let imp = self.imp();
        self.set_orientation(gtk::Orientation::Vertical);
        self.add_css_class("composer");

        imp.context_label.set_xalign(0.0);
        imp.context_label.set_hexpand(true);
        imp.context_label
            .set_ellipsize(gtk::pango::EllipsizeMode::End);
        imp.context_label.add_css_class("caption");
        imp.context_cancel.add_css_class("flat");
        imp.context_cancel.add_css_class("circular");
        imp.context.set_spacing(6);
        imp.context.add_css_class("composer-context");
        imp.context.append(&imp.context_label);
        imp.context.append(&imp.context_cancel);
        imp.context.set_visible(false);
        self.upcast_ref::<gtk::Box>().append(&imp.context);

        imp.view.set_wrap_mode(gtk::WrapMode::WordChar);
        imp.view.set_accepts_tab(false);
        imp.view.set_top_margin(8);
        imp.view.set_bottom_margin(8);
        imp.view.set_left_margin(10);
        imp.view.set_right_margin(10);
        imp.view.add_css_class("composer-text");
        let scroller = gtk::ScrolledWindow::builder()
            .child(&imp.view)
            .hscrollbar_policy(gtk::PolicyType::Never)
            .propagate_natural_height(true)
            .max_content_height(160)
            .hexpand(true)
            .valign(gtk::Align::Center)
            .build();
        scroller.add_css_class("composer-frame");

        // GtkTextView has no placeholder of its own: a label over it while it is empty.
        imp.placeholder.set_xalign(0.0);
        imp.placeholder.set_halign(gtk::Align::Start);
        imp.placeholder.set_valign(gtk::Align::Center);
        imp.placeholder.set_margin_start(12);
        imp.placeholder.set_can_target(false);
        imp.placeholder
            .set_ellipsize(gtk::pango::EllipsizeMode::End);
        imp.placeholder.add_css_class("dim-label");
        let field = gtk::Overlay::builder()
            .child(&scroller)
            .hexpand(true)
            .valign(gtk::Align::Center)
            .build();
        field.add_overlay(&imp.placeholder);

        imp.send.add_css_class("circular");
        imp.send.add_css_class("suggested-action");
        imp.send.add_css_class("touch-target");
        imp.send.set_valign(gtk::Align::End);

        imp.attach.add_css_class("circular");
        imp.attach.add_css_class("flat");
        imp.attach.add_css_class("touch-target");
        imp.attach.set_valign(gtk::Align::End);

        let row = gtk::Box::new(gtk::Orientation::Horizontal, 6);
        row.append(&imp.attach);
        row.append(&field);
        row.append(&imp.send);
        self.upcast_ref::<gtk::Box>().append(&row);

        imp.completion_list
            .set_selection_mode(gtk::SelectionMode::Browse);
        imp.completion_list.add_css_class("navigation-sidebar");
        imp.completion.set_child(Some(&imp.completion_list));
        imp.completion.set_autohide(false);
        imp.completion.set_has_arrow(false);
        imp.completion.set_position(gtk::PositionType::Top);
        imp.completion.set_parent(&imp.view);

        self.connect_signals();
    }

    fn connect_signals(&self) {
        let imp = self.imp();
        let composer = self.downgrade();
        imp.send.connect_clicked(move |_| {
            if let Some(composer) = composer.upgrade() {
                composer.submit();
            }
        });
        let composer = self.downgrade();
        imp.attach.connect_clicked(move |_| {
            if let Some(composer) = composer.upgrade() {
                composer.emit_by_name::<()>(ATTACH, &[]);
            }
        });
        let composer = self.downgrade();
        imp.view.connect_paste_clipboard(move |view| {
            if let Some(composer) = composer.upgrade() {
                composer.paste(view);
            }
        });
        let composer = self.downgrade();
        imp.context_cancel.connect_clicked(move |_| {
            if let Some(composer) = composer.upgrade() {
                composer.cancel_mode();
            }
        });

        // Touch or mouse: decides what Enter does.
        let input = gtk::EventControllerLegacy::new();
        let composer = self.downgrade();
        input.connect_event(move |_, event| {
            if let Some(composer) = composer.upgrade() {
                match event.event_type() {
                    gtk::gdk::EventType::TouchBegin => composer.imp().touch.set(true),
                    gtk::gdk::EventType::ButtonPress => composer.imp().touch.set(false),
                    _ => {}
                }
            }
            glib::Propagation::Proceed
        });
        imp.view.add_controller(input);

        let keys = gtk::EventControllerKey::new();
        keys.set_propagation_phase(gtk::PropagationPhase::Capture);
        let composer = self.downgrade();
        keys.connect_key_pressed(move |_, key, _, modifiers| {
            let Some(composer) = composer.upgrade() else {
                return glib::Propagation::Proceed;
            };
            composer.key_pressed(key, modifiers)
        });
        imp.view.add_controller(keys);

        let composer = self.downgrade();
        imp.view.buffer().connect_changed(move |_| {
            if let Some(composer) = composer.upgrade() {
                composer.update_completion();
                let imp = composer.imp();
                imp.send.set_sensitive(!composer.text().trim().is_empty());
                imp.placeholder
                    .set_visible(imp.view.buffer().char_count() == 0);
            }
        });
        imp.send.set_sensitive(false);

        let composer = self.downgrade();
        imp.completion_list.connect_row_activated(move |_, row| {
            if let Some(composer) = composer.upgrade() {
                composer.complete_with(row);
            }
        });
    }

    fn key_pressed(
        &self,
        key: gtk::gdk::Key,
        modifiers: gtk::gdk::ModifierType,
    ) -> glib::Propagation {
        let imp = self.imp();
        let is_enter = matches!(
            key,
            gtk::gdk::Key::Return | gtk::gdk::Key::KP_Enter | gtk::gdk::Key::ISO_Enter
        );
        if imp.completion.is_visible() {
            match key {
                gtk::gdk::Key::Escape => {
                    imp.completion.popdown();
                    return glib::Propagation::Stop;
                }
                gtk::gdk::Key::Tab if !modifiers.contains(gtk::gdk::ModifierType::SHIFT_MASK) => {
                    if let Some(row) = imp
                        .completion_list
                        .selected_row()
                        .or_else(|| imp.completion_list.row_at_index(0))
                    {
                        self.complete_with(&row);
                    }
                    return glib::Propagation::Stop;
                }
                _ if is_enter => {
                    if let Some(row) = imp
                        .completion_list
                        .selected_row()
                        .or_else(|| imp.completion_list.row_at_index(0))
                    {
                        self.complete_with(&row);
                    }
                    return glib::Propagation::Stop;
                }
                gtk::gdk::Key::Down | gtk::gdk::Key::Up => {
                    let rows = count_rows(&imp.completion_list);
                    if rows > 0 {
                        let current = imp.completion_list.selected_row().map_or(-1, |r| r.index());
                        let step = if key == gtk::gdk::Key::Down { 1 } else { -1 };
                        let next = (current + step).rem_euclid(rows);
                        if let Some(row) = imp.completion_list.row_at_index(next) {
                            imp.completion_list.select_row(Some(&row));
                        }
                    }
                    return glib::Propagation::Stop;
                }
                _ => {}
            }
        }
        if key == gtk::gdk::Key::Escape && imp.mode.borrow().is_some() {
            self.cancel_mode();
            return glib::Propagation::Stop;
        }
        if is_enter
            && !modifiers.intersects(
                gtk::gdk::ModifierType::SHIFT_MASK | gtk::gdk::ModifierType::CONTROL_MASK,
            )
            && !imp.touch.get()
        {
            self.submit();
            return glib::Propagation::Stop;
        }
        glib::Propagation::Proceed
    }

    /// Calls `f` with each message the person sends (the `send` signal).
    pub fn connect_send(&self, f: impl Fn(Outgoing, Mode) + 'static) -> glib::SignalHandlerId {
        self.connect_closure(
            SEND,
            false,
            glib::closure_local!(move |_: &Self, sent: Sent| f(sent.outgoing, sent.mode)),
        )
    }

    /// Calls `f` when the person asks to attach a picture or a file (the `attach` signal).
    pub fn connect_attach(&self, f: impl Fn() + 'static) -> glib::SignalHandlerId {
        self.connect_closure(ATTACH, false, glib::closure_local!(move |_: &Self| f()))
    }

    /// Calls `f` with each picture pasted into the composer (the `paste-image` signal).
    pub fn connect_paste_image(
        &self,
        f: impl Fn(gtk::gdk::Texture) + 'static,
    ) -> glib::SignalHandlerId {
        self.connect_closure(
            PASTE_IMAGE,
            false,
            glib::closure_local!(move |_: &Self, texture: gtk::gdk::Texture| f(texture)),
        )
    }

    /// The attach button.
    pub fn attach_button(&self) -> gtk::Button {
        self.imp().attach.clone()
    }

    /// A paste of a picture (and no text) becomes a picture to send; anything else is
    /// pasted as text, as usual.
    fn paste(&self, view: &gtk::TextView) {
        let clipboard = view.clipboard();
        let formats = clipboard.formats();
        let has_text = formats.contain_mime_type("text/plain")
            || formats.contain_mime_type("text/plain;charset=utf-8")
            || formats.contains_type(glib::GString::static_type());
        if has_text || !formats.contains_type(gtk::gdk::Texture::static_type()) {
            return;
        }
        view.stop_signal_emission_by_name("paste-clipboard");
        let composer = self.downgrade();
        crate::ui::bridge::spawn_ui(async move {
            let texture = clipboard.read_texture_future().await;
            let Some(composer) = composer.upgrade() else {
                return;
            };
            match texture {
                Ok(Some(texture)) => composer.emit_by_name::<()>(PASTE_IMAGE, &[&texture]),
                Ok(None) => {}
                Err(err) => tracing::info!(%err, "the pasted picture cannot be read"),
            }
        });
    }

    /// Tells the composer how to find members for `@` completion.
    pub fn set_member_lookup(&self, lookup: Option<MemberLookup>) {
        self.imp().lookup.replace(lookup);
    }

    /// Calls `f` whenever the text changes.
    pub fn connect_text_changed(&self, f: impl Fn(&Self) + 'static) {
        let composer = self.downgrade();
        self.imp().view.buffer().connect_changed(move |_| {
            if let Some(composer) = composer.upgrade() {
                f(&composer);
            }
        });
    }

    /// The text as typed.
    pub fn text(&self) -> String {
        let buffer = self.imp().view.buffer();
        buffer
            .text(&buffer.start_iter(), &buffer.end_iter(), false)
            .to_string()
    }

    /// Replaces the text (a restored draft, or the text of a message to edit).
    pub fn set_text(&self, text: &str) {
        self.imp().view.buffer().set_text(text);
        self.imp().mentions.borrow_mut().clear();
    }

    /// The text view, to focus it or to type into it.
    pub fn text_view(&self) -> gtk::TextView {
        self.imp().view.clone()
    }

    /// The send button.
    pub fn send_button(&self) -> gtk::Button {
        self.imp().send.clone()
    }

    /// What the next message is for.
    pub fn mode(&self) -> Mode {
        self.imp().mode.borrow().clone().unwrap_or(Mode::New)
    }

    /// Answers the message `event_id` by `sender_name`, which says `text`.
    pub fn set_reply(&self, event_id: OwnedEventId, sender_name: &str, text: &str) {
        let imp = self.imp();
        imp.context_label.set_text(&crate::i18n::gettext_f(
            "Replying to {name}: {text}",
            &[("name", sender_name), ("text", text)],
        ));
        imp.context.set_visible(true);
        imp.mode.replace(Some(Mode::Reply { event_id }));
        imp.view.grab_focus();
    }

    /// Edits the own message `id` whose text is `text`.
    pub fn set_edit(&self, id: ItemId, text: &str) {
        let imp = self.imp();
        imp.context_label.set_text(&gettext("Editing message"));
        imp.context.set_visible(true);
        imp.mode.replace(Some(Mode::Edit { id }));
        self.set_text(text);
        imp.view.grab_focus();
    }

    /// Back to writing a new message (an edited text is dropped).
    pub fn cancel_mode(&self) {
        let imp = self.imp();
        let was_edit = matches!(*imp.mode.borrow(), Some(Mode::Edit { .. }));
        imp.mode.replace(None);
        imp.context.set_visible(false);
        if was_edit {
            self.set_text("");
        }
    }

    fn submit(&self) {
        let imp = self.imp();
        imp.completion.popdown();
        let text = self.text();
        if text.trim().is_empty() {
            return;
        }
        let outgoing = Outgoing {
            text,
            mentions: imp.mentions.borrow().clone(),
        };
        let mode = self.mode();
        self.set_text("");
        imp.mode.replace(None);
        imp.context.set_visible(false);
        self.emit_by_name::<()>(SEND, &[&Sent { outgoing, mode }]);
    }

    /// The `@word` right before the cursor, if any.
    fn mention_query(&self) -> Option<(gtk::TextIter, String)> {
        let buffer = self.imp().view.buffer();
        let cursor = buffer.iter_at_mark(&buffer.get_insert());
        let mut start = cursor;
        let mut word = String::new();
        loop {
            if !start.backward_char() {
                return None;
            }
            let c = start.char();
            if c == '@' {
                let at_word_start = {
                    let mut before = start;
                    !before.backward_char() || before.char().is_whitespace()
                };
                return at_word_start.then(|| (start, word.chars().rev().collect()));
            }
            if c.is_whitespace() || word.len() > 64 {
                return None;
            }
            word.push(c);
        }
    }

    fn update_completion(&self) {
        let imp = self.imp();
        let Some((_, query)) = self.mention_query() else {
            imp.completing.replace(None);
            imp.completion.popdown();
            return;
        };
        let Some(lookup) = imp.lookup.borrow().clone() else {
            return;
        };
        imp.completing.replace(Some(query.clone()));
        let composer = self.downgrade();
        let asked = query.clone();
        lookup(
            query,
            Box::new(move |members| {
                let Some(composer) = composer.upgrade() else {
                    return;
                };
                // Only the answer to the latest query counts.
                if composer.imp().completing.borrow().as_deref() != Some(asked.as_str()) {
                    return;
                }
                composer.show_completion(members);
            }),
        );
    }

    fn show_completion(&self, members: Vec<MemberName>) {
        let imp = self.imp();
        while let Some(row) = imp.completion_list.row_at_index(0) {
            imp.completion_list.remove(&row);
        }
        if members.is_empty() {
            imp.completion.popdown();
            return;
        }
        for member in members {
            let row = gtk::ListBoxRow::new();
            let line = gtk::Box::new(gtk::Orientation::Horizontal, 8);
            let avatar = adw::Avatar::new(24, Some(&member.name), true);
            let name = gtk::Label::new(Some(&member.name));
            let id = gtk::Label::new(Some(member.user_id.as_str()));
            id.add_css_class("dim-label");
            id.add_css_class("caption");
            id.set_ellipsize(gtk::pango::EllipsizeMode::End);
            line.append(&avatar);
            line.append(&name);
            line.append(&id);
            line.set_margin_top(4);
            line.set_margin_bottom(4);
            row.set_child(Some(&line));
            row.set_widget_name(member.user_id.as_str());
            row.set_tooltip_text(Some(&member.name));
            imp.completion_list.append(&row);
        }
        if let Some(first) = imp.completion_list.row_at_index(0) {
            imp.completion_list.select_row(Some(&first));
        }
        let buffer = imp.view.buffer();
        let cursor = buffer.iter_at_mark(&buffer.get_insert());
        let rect = imp.view.iter_location(&cursor);
        let (x, y) =
            imp.view
                .buffer_to_window_coords(gtk::TextWindowType::Widget, rect.x(), rect.y());
        imp.completion
            .set_pointing_to(Some(&gtk::gdk::Rectangle::new(x, y, 1, rect.height())));
        imp.completion.popup();
    }

    fn complete_with(&self, row: &gtk::ListBoxRow) {
        let imp = self.imp();
        // The row's name is the member's ID, set from the engine's typed one.
        let Ok(user_id) = OwnedUserId::try_from(row.widget_name().as_str()) else {
            return;
        };
        let name = row
            .tooltip_text()
            .map_or_else(|| user_id.to_string(), |t| t.to_string());
        imp.completion.popdown();
        let Some((start, _)) = self.mention_query() else {
            return;
        };
        let buffer = imp.view.buffer();
        let mut start = start;
        let mut cursor = buffer.iter_at_mark(&buffer.get_insert());
        imp.completing.replace(None);
        buffer.delete(&mut start, &mut cursor);
        buffer.insert_at_cursor(&format!("{name} "));
        imp.mentions.borrow_mut().push(Mention {
            user_id,
            text: name,
        });
        imp.completion.popdown();
    }
}

fn count_rows(list: &gtk::ListBox) -> i32 {
    let mut n = 0;
    while list.row_at_index(n).is_some() {
        n += 1;
    }
    n
}
