//! One row of the conversation: a message (grouped under its sender's name when the
//! previous one is from someone else or long ago), a day divider, the "new messages"
//! marker, or a one-line summary of a change to the room. Built in code, without a
//! template, because rows are made and rebound while scrolling.

use std::cell::{Cell, OnceCell, RefCell};
use std::rc::Rc;

use adw::prelude::*;
use gtk::subclass::prelude::*;
use gtk::{gdk, glib};

use crate::engine::html::SPOILER_URI;
use crate::engine::timeline::picture::PictureError;
use crate::engine::timeline::{Attachment, Body, Entry, EntryKind, EventEntry, Media, SendState};
use crate::i18n::{gettext, gettext_f, ngettext};
use crate::ui::room_view::animation;
use crate::ui::room_view::pictures::{self, Loaded, Pictures};
use crate::ui::room_view::playback::Playback;
use crate::ui::text;

/// The sender's avatar beside the first message of a group, and the space after it.
const AVATAR_SIZE: i32 = 36;
const EVENT_SPACING: i32 = 8;

/// The largest a picture shows, in logical pixels: it fits beside the avatar on a phone
/// 360 pixels wide.
const PICTURE_MAX_WIDTH: i32 = 280;
const PICTURE_MAX_HEIGHT: i32 = 360;
/// The smallest side a picture shows at (a very long, thin picture stays visible).
const PICTURE_MIN_SIDE: i32 = 48;

/// Messages of one sender closer together than this share one header.
const GROUP_WINDOW_MS: u64 = 5 * 60 * 1000;

/// How a change to the room (a join, a rename…) shows within a run of such changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateShow {
    /// Not a change to the room, or a short run: shown as it is.
    Plain,
    /// The first of a long run, folded: its sentence and how many more follow.
    FoldedHead {
        /// Changes after this one in the run.
        more: usize,
    },
    /// The first of a long run, unfolded.
    UnfoldedHead,
    /// Inside a folded run: not shown.
    Hidden,
}

mod imp {
    use super::*;

    #[derive(Default)]
    pub struct MessageRow {
        pub unique_id: RefCell<String>,
        /// The entry whose spoilers the person revealed (while this row shows it).
        pub revealed_for: RefCell<Option<String>>,
        /// The body's markup with its spoilers revealed, when it has spoilers.
        pub revealed_markup: RefCell<Option<String>>,
        pub event: gtk::Box,
        pub avatar: adw::Avatar,
        pub header: gtk::Box,
        pub sender: gtk::Label,
        pub time: gtk::Label,
        pub column: gtk::Box,
        pub body: gtk::Label,
        // The parts most rows never show are made the first time a row needs them: a
        // screenful of rows is made at once when a room opens.
        pub centre: OnceCell<CentreLine>,
        pub reply: OnceCell<ReplyQuote>,
        pub reactions: OnceCell<gtk::FlowBox>,
        pub footer: OnceCell<Footer>,
        pub media: OnceCell<MediaPart>,
        /// Counts the pictures this row was bound to: a load that finishes for an earlier
        /// one (the row was recycled meanwhile) is ignored.
        pub picture_generation: Cell<u64>,
        /// The picture shown now, what the load button loads, and how it is going.
        pub picture: RefCell<Option<ShownPicture>>,
        /// Plays the picture shown, when it moves.
        pub animation: RefCell<Option<crate::ui::room_view::animation::Player>>,
        /// Plays a video or sound (made the first time a row shows one).
        pub playback: OnceCell<Rc<Playback>>,
    }

    /// A picture bound to the row.
    pub struct ShownPicture {
        pub pictures: Rc<Pictures>,
        pub media: Media,
        /// The load button loads the whole file (it has no thumbnail and is large).
        pub whole: bool,
        pub status: super::PictureStatus,
    }

    /// A picture (with its placeholder, the load button and the sentence when it cannot
    /// show) and a caption.
    pub struct MediaPart {
        pub frame: gtk::Overlay,
        pub area: gtk::Box,
        pub picture: gtk::Picture,
        pub load: gtk::Button,
        pub problem: gtk::Label,
        pub caption: gtk::Label,
    }

    /// A day divider, the "new messages" marker, or a change to the room.
    pub struct CentreLine {
        pub line: gtk::Box,
        pub text: gtk::Label,
        pub fold: gtk::Button,
    }

    /// The quoted message a reply answers.
    pub struct ReplyQuote {
        pub quote: gtk::Box,
        pub sender: gtk::Label,
        pub text: gtk::Label,
    }

    /// The send state (with Retry and Discard when it failed) and the read receipts.
    pub struct Footer {
        pub footer: gtk::Box,
        pub status: gtk::Label,
        pub retry: gtk::Button,
        pub discard: gtk::Button,
        pub receipts: gtk::Label,
        pub receipt_box: gtk::Box,
        pub receipt_avatars: [adw::Avatar; 3],
    }

    #[glib::object_subclass]
    impl ObjectSubclass for MessageRow {
        const NAME: &'static str = "SottoMessageRow";
        type Type = super::MessageRow;
        type ParentType = gtk::Box;
    }

    impl ObjectImpl for MessageRow {
        fn constructed(&self) {
            self.parent_constructed();
            self.obj().build();
        }
    }
    impl WidgetImpl for MessageRow {}
    impl BoxImpl for MessageRow {}
}

/// Where the picture of a row is, for tests and the accessibility tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PictureStatus {
    /// Loading; the placeholder shows.
    Loading,
    /// Waiting for a tap on "Load Picture".
    WaitingForTap,
    /// Shown, decoded at this size.
    Shown(u32, u32),
    /// It cannot show: the sentence in its place.
    Problem(String),
}

glib::wrapper! {
    /// A row of the conversation.
    pub struct MessageRow(ObjectSubclass<imp::MessageRow>)
        @extends gtk::Box, gtk::Widget,
        @implements gtk::Buildable, gtk::ConstraintTarget, gtk::Orientable;
}

impl Default for MessageRow {
    fn default() -> Self {
        glib::Object::new()
    }
}

impl MessageRow {
    fn build(&self) {
        let imp = self.imp();
        self.set_orientation(gtk::Orientation::Vertical);
        self.add_css_class("message-row");

        imp.avatar.set_size(AVATAR_SIZE);
        // A stranger's picture in a group waits for a tap, as pictures do.
        crate::ui::avatars::load_on_tap(&imp.avatar);
        imp.avatar.set_show_initials(true);
        imp.avatar.set_valign(gtk::Align::Start);
        imp.avatar.set_margin_top(2);

        imp.sender.add_css_class("heading");
        imp.sender.set_xalign(0.0);
        imp.sender.set_ellipsize(gtk::pango::EllipsizeMode::End);
        imp.sender.set_hexpand(true);
        imp.time.add_css_class("dim-label");
        imp.time.add_css_class("caption");
        imp.header.set_spacing(6);
        imp.header.append(&imp.sender);
        imp.header.append(&imp.time);

        imp.body.set_xalign(0.0);
        imp.body.set_wrap(true);
        imp.body.set_wrap_mode(gtk::pango::WrapMode::WordChar);
        // A set minimum and natural width: otherwise GTK lays each wrapping text out again
        // at every width it tries while it measures a row, which was half of the time of
        // showing a screenful of messages.
        set_wrapping_widths(&imp.body);
        imp.body.set_use_markup(true);
        imp.body.add_css_class("message-body");
        // A hidden spoiler is a link to `SPOILER_URI`: activating it (a click, a tap, or
        // Enter on the focused link) shows the message's spoilers instead of opening a page.
        // Every other link goes to the window, which asks before anything opens (GTK's own
        // handler would open it at once).
        imp.body.connect_activate_link(|label, uri| {
            if uri != SPOILER_URI {
                if label
                    .activate_action("win.open-link", Some(&uri.to_variant()))
                    .is_err()
                {
                    tracing::warn!("no window to follow a link from");
                }
                return glib::Propagation::Stop;
            }
            if let Some(row) = label
                .ancestor(MessageRow::static_type())
                .and_downcast::<MessageRow>()
            {
                row.reveal_spoilers();
            }
            glib::Propagation::Stop
        });

        imp.column.set_orientation(gtk::Orientation::Vertical);
        imp.column.set_spacing(2);
        imp.column.set_hexpand(true);
        imp.column.append(&imp.header);
        imp.column.append(&imp.body);

        imp.event.set_spacing(EVENT_SPACING);
        imp.event.set_margin_start(8);
        imp.event.set_margin_end(12);
        imp.event.append(&imp.avatar);
        imp.event.append(&imp.column);
        self.upcast_ref::<gtk::Box>().append(&imp.event);
    }

    /// The centre line, made (above the message part) the first time it is needed.
    fn centre(&self) -> &imp::CentreLine {
        self.imp().centre.get_or_init(|| {
            let text = gtk::Label::new(None);
            text.set_wrap(true);
            // One line while it fits; GTK would otherwise break it early to look balanced.
            // (No set minimum width here: the line is centred, and GTK measures its width
            // for its height, which must not come out below a minimum for short texts.)
            text.set_natural_wrap_mode(gtk::NaturalWrapMode::None);
            text.set_justify(gtk::Justification::Center);
            let fold = gtk::Button::new();
            fold.add_css_class("flat");
            fold.add_css_class("caption");
            fold.set_valign(gtk::Align::Center);
            let line = gtk::Box::new(gtk::Orientation::Horizontal, 6);
            line.set_halign(gtk::Align::Center);
            line.set_margin_top(4);
            line.set_margin_bottom(4);
            line.set_margin_start(12);
            line.set_margin_end(12);
            line.append(&text);
            line.append(&fold);
            self.upcast_ref::<gtk::Box>().prepend(&line);
            let row = self.downgrade();
            fold.connect_clicked(move |_| {
                if let Some(row) = row.upgrade() {
                    row.activate_for_row("room.toggle-fold");
                }
            });
            imp::CentreLine { line, text, fold }
        })
    }

    /// The reply quote, made (under the header) the first time it is needed.
    fn reply_quote(&self) -> &imp::ReplyQuote {
        let imp = self.imp();
        imp.reply.get_or_init(|| {
            let quote = gtk::Box::new(gtk::Orientation::Vertical, 0);
            quote.add_css_class("reply-quote");
            let sender = gtk::Label::new(None);
            sender.add_css_class("caption-heading");
            sender.set_xalign(0.0);
            sender.set_ellipsize(gtk::pango::EllipsizeMode::End);
            let text = gtk::Label::new(None);
            text.add_css_class("caption");
            text.set_xalign(0.0);
            text.set_ellipsize(gtk::pango::EllipsizeMode::End);
            quote.append(&sender);
            quote.append(&text);
            imp.column.insert_child_after(&quote, Some(&imp.header));
            imp::ReplyQuote {
                quote,
                sender,
                text,
            }
        })
    }

    /// The reactions, made (under the body) the first time they are needed.
    fn reactions(&self) -> &gtk::FlowBox {
        let imp = self.imp();
        imp.reactions.get_or_init(|| {
            let reactions = gtk::FlowBox::new();
            reactions.set_selection_mode(gtk::SelectionMode::None);
            reactions.set_column_spacing(4);
            reactions.set_row_spacing(4);
            reactions.set_max_children_per_line(8);
            reactions.set_homogeneous(false);
            reactions.set_halign(gtk::Align::Start);
            imp.column.insert_child_after(&reactions, Some(&imp.body));
            reactions
        })
    }

    /// The footer, made (last) the first time it is needed.
    fn footer(&self) -> &imp::Footer {
        let imp = self.imp();
        imp.footer.get_or_init(|| {
            let status = gtk::Label::new(None);
            status.add_css_class("caption");
            status.add_css_class("dim-label");
            status.set_xalign(0.0);
            // Wraps rather than widening a phone-sized window.
            status.set_wrap(true);
            set_wrapping_widths(&status);
            status.set_hexpand(true);
            let retry = gtk::Button::with_label(&gettext("Retry"));
            retry.add_css_class("flat");
            retry.add_css_class("caption");
            let discard = gtk::Button::with_label(&gettext("Discard"));
            discard.add_css_class("flat");
            discard.add_css_class("caption");
            let receipts = gtk::Label::new(None);
            receipts.add_css_class("caption");
            receipts.add_css_class("dim-label");
            let receipt_box = gtk::Box::new(gtk::Orientation::Horizontal, 2);
            receipt_box.set_hexpand(true);
            receipt_box.set_halign(gtk::Align::End);
            receipt_box.set_valign(gtk::Align::Center);
            let receipt_avatars: [adw::Avatar; 3] = Default::default();
            for avatar in &receipt_avatars {
                avatar.set_size(18);
                avatar.set_show_initials(true);
                receipt_box.append(avatar);
            }
            receipt_box.append(&receipts);
            let footer = gtk::Box::new(gtk::Orientation::Horizontal, 6);
            footer.append(&status);
            footer.append(&retry);
            footer.append(&discard);
            footer.append(&receipt_box);
            imp.column.append(&footer);
            for (button, action) in [(&retry, "room.retry"), (&discard, "room.discard")] {
                let row = self.downgrade();
                button.connect_clicked(move |_| {
                    if let Some(row) = row.upgrade() {
                        row.activate_for_row(action);
                    }
                });
            }
            imp::Footer {
                footer,
                status,
                retry,
                discard,
                receipts,
                receipt_box,
                receipt_avatars,
            }
        })
    }

    /// The picture and caption, made (under the body) the first time they are needed.
    fn media_part(&self) -> &imp::MediaPart {
        let imp = self.imp();
        imp.media.get_or_init(|| {
            let picture = gtk::Picture::new();
            picture.set_can_shrink(true);
            picture.set_content_fit(gtk::ContentFit::Cover);
            let load = gtk::Button::with_label(&gettext("Load Picture"));
            load.add_css_class("osd");
            load.add_css_class("pill");
            load.set_halign(gtk::Align::Center);
            load.set_valign(gtk::Align::Center);
            // The frame's size is its empty child's, set from the event's width and height;
            // the picture is an overlay, so it takes that size whatever it holds (a
            // placeholder or a picture of slightly other proportions never moves the list).
            let area = gtk::Box::new(gtk::Orientation::Vertical, 0);
            let frame = gtk::Overlay::new();
            frame.add_css_class("picture-frame");
            frame.set_overflow(gtk::Overflow::Hidden);
            frame.set_halign(gtk::Align::Start);
            frame.set_child(Some(&area));
            frame.add_overlay(&picture);
            frame.add_overlay(&load);
            let problem = gtk::Label::new(None);
            problem.add_css_class("dim-label");
            problem.set_xalign(0.0);
            problem.set_wrap(true);
            set_wrapping_widths(&problem);
            let caption = gtk::Label::new(None);
            caption.set_xalign(0.0);
            caption.set_wrap(true);
            caption.set_wrap_mode(gtk::pango::WrapMode::WordChar);
            caption.set_selectable(false);
            set_wrapping_widths(&caption);
            imp.column.insert_child_after(&frame, Some(&imp.body));
            imp.column.insert_child_after(&problem, Some(&frame));
            imp.column.insert_child_after(&caption, Some(&problem));
            // A tap on a shown picture opens it large.
            let open = gtk::GestureClick::new();
            let row = self.downgrade();
            open.connect_released(move |gesture, presses, _, _| {
                let Some(row) = row.upgrade() else {
                    return;
                };
                if presses == 1 && matches!(row.picture_status(), Some(PictureStatus::Shown(..))) {
                    gesture.set_state(gtk::EventSequenceState::Claimed);
                    row.activate_for_row("room.view-picture");
                }
            });
            frame.add_controller(open);
            let row = self.downgrade();
            load.connect_clicked(move |_| {
                if let Some(row) = row.upgrade() {
                    row.load_tapped();
                }
            });
            imp::MediaPart {
                frame,
                area,
                picture,
                load,
                problem,
                caption,
            }
        })
    }

    /// Where the picture of this row is, if it shows one.
    pub fn picture_status(&self) -> Option<PictureStatus> {
        self.imp()
            .picture
            .borrow()
            .as_ref()
            .map(|p| p.status.clone())
    }

    /// The frame of a moving picture shown now, and how many it has (`None` for a still
    /// picture or none).
    pub fn animation_frame(&self) -> Option<(usize, usize)> {
        self.imp()
            .animation
            .borrow()
            .as_ref()
            .map(|player| (player.frame(), player.frames()))
    }

    /// The file name of the picture this row shows, if it shows one.
    pub fn picture_name(&self) -> Option<String> {
        self.imp()
            .picture
            .borrow()
            .as_ref()
            .map(|p| p.media.name.clone())
    }

    /// The sender's avatar beside the first message of a group.
    pub fn sender_avatar(&self) -> adw::Avatar {
        self.imp().avatar.clone()
    }

    /// The "Load Picture" button, when the row shows a picture.
    pub fn load_button(&self) -> Option<gtk::Button> {
        self.imp().media.get().map(|m| m.load.clone())
    }

    fn set_picture_status(&self, status: PictureStatus) {
        if let Some(shown) = self.imp().picture.borrow_mut().as_mut() {
            shown.status = status;
        }
    }

    /// Hides the picture part (a row that shows no picture).
    fn hide_media(&self) {
        let imp = self.imp();
        imp.picture_generation
            .set(imp.picture_generation.get().wrapping_add(1));
        imp.picture.replace(None);
        imp.animation.replace(None);
        if let Some(part) = imp.media.get() {
            part.frame.set_visible(false);
            part.problem.set_visible(false);
            part.caption.set_visible(false);
            part.picture.set_paintable(None::<&gdk::Paintable>);
        }
    }

    /// The play button and player, made (under the body) the first time a row needs them.
    fn playback(&self) -> Rc<Playback> {
        let imp = self.imp();
        imp.playback
            .get_or_init(|| {
                let playback = Playback::new();
                imp.column
                    .insert_child_after(&playback.widget, Some(&imp.body));
                playback
            })
            .clone()
    }

    /// The player of a video or sound, when the row shows one.
    pub fn playback_part(&self) -> Option<Rc<Playback>> {
        self.imp()
            .playback
            .get()
            .filter(|p| p.widget.is_visible())
            .cloned()
    }

    /// Shows the caption of `media` under it, if it has one.
    fn bind_caption(&self, media: &Media) {
        let part = self.media_part();
        match media.caption.as_deref().filter(|c| !c.is_empty()) {
            Some(caption) => {
                part.caption.set_text(caption);
                part.caption.set_visible(true);
            }
            None => part.caption.set_visible(false),
        }
    }

    /// Shows a picture: at its proportions (its size is known before it loads, so the list
    /// does not jump), the blurhash or a neutral placeholder meanwhile, then the picture,
    /// or "Load Picture" when the rule says so, or a sentence when it cannot show.
    fn bind_picture(&self, event: &EventEntry, media: &Media, pictures: Option<Rc<Pictures>>) {
        let imp = self.imp();
        imp.body.set_visible(false);
        let part = self.media_part();
        let (width, height) = picture_size(media.width, media.height);
        part.area.set_size_request(width, height);
        part.frame.set_visible(true);
        part.problem.set_visible(false);
        part.load.set_visible(false);
        part.picture
            .set_alternative_text(Some(media.caption.as_deref().unwrap_or(&media.name)));
        self.bind_caption(media);
        let generation = imp.picture_generation.get().wrapping_add(1);
        imp.picture_generation.set(generation);
        imp.animation.replace(None);
        let Some(pictures) = pictures else {
            imp.picture.replace(None);
            return;
        };
        imp.picture.replace(Some(imp::ShownPicture {
            pictures: pictures.clone(),
            media: media.clone(),
            whole: false,
            status: PictureStatus::Loading,
        }));
        if let Some(result) = pictures.result(media) {
            self.show_loaded(result);
            return;
        }
        part.picture
            .set_paintable(pictures::placeholder(media, width, height).as_ref());
        if pictures.loads_by_itself(event, media) {
            self.start_loading(false);
        } else {
            self.wait_for_tap(false);
        }
    }

    /// Shows "Load Picture" (with the size when it loads the whole file).
    fn wait_for_tap(&self, whole: bool) {
        let imp = self.imp();
        let part = self.media_part();
        let label = match imp.picture.borrow().as_ref().and_then(|p| p.media.size) {
            Some(size) if whole => gettext_f(
                "Load Picture ({size})",
                &[("size", &glib::format_size(size))],
            ),
            _ => gettext("Load Picture"),
        };
        part.load.set_label(&label);
        part.load.set_tooltip_text(Some(&gettext(
            "Loading a picture tells the server that you looked at it",
        )));
        part.load.set_visible(true);
        part.load.set_sensitive(true);
        if let Some(shown) = imp.picture.borrow_mut().as_mut() {
            shown.whole = whole;
        }
        self.set_picture_status(PictureStatus::WaitingForTap);
    }

    /// The person tapped "Load Picture".
    fn load_tapped(&self) {
        let whole = {
            let shown = self.imp().picture.borrow();
            let Some(shown) = shown.as_ref() else {
                return;
            };
            shown.pictures.tapped(&shown.media);
            shown.whole
        };
        self.media_part().load.set_visible(false);
        self.start_loading(whole);
    }

    /// Loads the bound picture; the result shows if the row still shows it by then.
    fn start_loading(&self, whole: bool) {
        let imp = self.imp();
        let Some((pictures, media)) = imp
            .picture
            .borrow()
            .as_ref()
            .map(|p| (p.pictures.clone(), p.media.clone()))
        else {
            return;
        };
        self.set_picture_status(PictureStatus::Loading);
        let generation = imp.picture_generation.get();
        let (width, height) = picture_size(media.width, media.height);
        let side = u32::try_from(width.max(height) * self.scale_factor().max(1)).unwrap_or(512);
        let row = self.downgrade();
        crate::ui::bridge::spawn_ui(async move {
            let result = pictures.load(media, side, whole).await;
            if let Some(row) = row.upgrade()
                && row.imp().picture_generation.get() == generation
            {
                row.show_loaded(result);
            }
        });
    }

    /// Shows what became of the bound picture.
    fn show_loaded(&self, result: Loaded) {
        let part = self.media_part();
        match result {
            Ok(shown) => {
                let (width, height) = (shown.first().width(), shown.first().height());
                if shown.moves() {
                    let player = animation::Player::play(&part.picture, shown.frames.clone());
                    self.imp().animation.replace(Some(player));
                } else {
                    part.picture.set_paintable(Some(shown.first()));
                }
                part.load.set_visible(false);
                self.set_picture_status(PictureStatus::Shown(width as u32, height as u32));
            }
            Err(PictureError::NeedsFullLoad) => self.wait_for_tap(true),
            Err(error) => {
                let sentence = text::picture_problem(error);
                // Which picture it was: "Image: name", then the sentence.
                let name = self
                    .imp()
                    .picture
                    .borrow()
                    .as_ref()
                    .map(|p| text::attachment(&Attachment::Image(Box::new(p.media.clone()))));
                if let Some(name) = name {
                    let body = &self.imp().body;
                    body.set_text(&name);
                    body.add_css_class("dim-label");
                    body.set_visible(true);
                }
                part.frame.set_visible(false);
                part.picture.set_paintable(None::<&gdk::Paintable>);
                part.problem.set_text(&sentence);
                part.problem.set_visible(true);
                self.set_picture_status(PictureStatus::Problem(sentence));
            }
        }
    }

    /// Runs a `room.*` action with this row's entry as its target.
    pub fn activate_for_row(&self, action: &str) {
        let id = self.imp().unique_id.borrow().clone();
        let _ = WidgetExt::activate_action(self, action, Some(&id.to_variant()));
    }

    /// The unique ID of the entry shown.
    pub fn unique_id(&self) -> String {
        self.imp().unique_id.borrow().clone()
    }

    /// Shows the spoilers of the message in this row, until the row shows another entry.
    pub fn reveal_spoilers(&self) {
        let imp = self.imp();
        let Some(revealed) = imp.revealed_markup.borrow().clone() else {
            return;
        };
        imp.revealed_for
            .replace(Some(imp.unique_id.borrow().clone()));
        imp.body.set_markup(&revealed);
    }

    /// Shows `entry`; `previous` is the entry above it, which decides whether the sender's
    /// name and avatar repeat; `state` says how a change to the room shows in its run.
    pub fn bind(
        &self,
        entry: &Entry,
        previous: Option<&Entry>,
        state: StateShow,
        pictures: Option<Rc<Pictures>>,
    ) {
        let imp = self.imp();
        self.hide_media();
        imp.body.set_visible(true);
        if imp.revealed_for.borrow().as_deref() != Some(entry.unique_id.as_str()) {
            imp.revealed_for.replace(None);
        }
        imp.revealed_markup.replace(match &entry.kind {
            EntryKind::Event(event) => revealed_markup(event),
            _ => None,
        });
        imp.unique_id.replace(entry.unique_id.clone());
        // A video or sound that plays goes on when its row is bound again (a receipt or a
        // reaction came); the row showing something else stops it.
        let plays = matches!(&entry.kind, EntryKind::Event(event)
            if matches!(event.body, Body::Attachment(Attachment::Video(_) | Attachment::Audio(_))));
        if !plays && let Some(playback) = imp.playback.get() {
            playback.unbind();
        }
        for class in [
            "day-divider",
            "read-marker",
            "state-event",
            "own",
            "highlighted",
        ] {
            self.remove_css_class(class);
        }
        self.set_margin_top(0);
        let hide_centre = || {
            if let Some(centre) = imp.centre.get() {
                centre.line.set_visible(false);
            }
        };
        if state == StateShow::Hidden {
            hide_centre();
            imp.event.set_visible(false);
            return;
        }
        let centre = |text: &str, class: &str| {
            let line = self.centre();
            line.text.set_text(text);
            line.fold.set_visible(false);
            line.line.set_visible(true);
            imp.event.set_visible(false);
            self.add_css_class(class);
        };
        let fold = |label: &str| {
            let fold = &self.centre().fold;
            fold.set_label(label);
            fold.set_visible(true);
        };
        match &entry.kind {
            EntryKind::DayDivider(ms) => centre(&day_label(*ms), "day-divider"),
            EntryKind::ReadMarker => centre(&gettext("New messages"), "read-marker"),
            EntryKind::Start => centre(
                &gettext("This is the beginning of the conversation."),
                "state-event",
            ),
            EntryKind::Event(event) => match &event.body {
                Body::State(change) => match state {
                    StateShow::FoldedHead { more } => {
                        let n = u32::try_from(more).unwrap_or(u32::MAX);
                        let text = ngettext(
                            "{change}, and {count} more change",
                            "{change}, and {count} more changes",
                            n,
                        )
                        .replace("{change}", &text::state_change(change))
                        .replace("{count}", &more.to_string());
                        centre(&text, "state-event");
                        fold(&gettext("Show All"));
                    }
                    StateShow::UnfoldedHead => {
                        centre(&text::state_change(change), "state-event");
                        fold(&gettext("Hide"));
                    }
                    StateShow::Plain | StateShow::Hidden => {
                        centre(&text::state_change(change), "state-event");
                    }
                },
                _ => {
                    hide_centre();
                    imp.event.set_visible(true);
                    self.bind_event(event, previous, pictures);
                }
            },
        }
    }

    fn bind_event(
        &self,
        event: &EventEntry,
        previous: Option<&Entry>,
        pictures: Option<Rc<Pictures>>,
    ) {
        let imp = self.imp();
        let continues = previous.is_some_and(|p| continues_group(p, event));
        if event.is_own {
            self.add_css_class("own");
        }
        if event.highlighted {
            self.add_css_class("highlighted");
        }
        imp.header.set_visible(!continues);
        // A message that continues a group keeps the avatar's room, without an avatar.
        imp.avatar.set_visible(!continues);
        imp.column.set_margin_start(if continues {
            AVATAR_SIZE + EVENT_SPACING
        } else {
            0
        });
        if !continues {
            imp.avatar.set_text(Some(&event.sender_name));
            match &pictures {
                Some(pictures) => pictures.show_avatar(&imp.avatar, event),
                None => imp.avatar.set_custom_image(None::<&gtk::gdk::Paintable>),
            }
            imp.sender.set_text(&event.sender_name);
            crate::ui::widgets::set_tooltip(&imp.sender, &event.sender);
        }
        imp.time.set_text(&time_label(event.timestamp_ms));
        self.set_margin_top(if continues { 0 } else { 6 });

        match &event.reply_to {
            Some(reply) => {
                let quote = self.reply_quote();
                quote.quote.set_visible(true);
                quote.sender.set_text(
                    reply
                        .sender_name
                        .as_deref()
                        .unwrap_or(&gettext("In reply to")),
                );
                quote.text.set_text(
                    &reply
                        .text
                        .as_ref()
                        .map_or_else(|| gettext("A message not loaded yet"), text::reply_text),
                );
            }
            None => {
                if let Some(quote) = imp.reply.get() {
                    quote.quote.set_visible(false);
                }
            }
        }

        imp.body.remove_css_class("dim-label");
        imp.body.remove_css_class("notice");
        // With the spoilers shown when the person revealed them in this entry.
        let revealed_here = imp.revealed_for.borrow().is_some();
        let shown = |markup: &str, revealed: &Option<String>| -> String {
            match revealed {
                Some(revealed) if revealed_here => revealed.clone(),
                _ => markup.to_owned(),
            }
        };
        match &event.body {
            Body::Text {
                markup, revealed, ..
            } => imp.body.set_markup(&shown(markup, revealed)),
            Body::Emote {
                markup, revealed, ..
            } => imp
                .body
                .set_markup(&emote_markup(event, &shown(markup, revealed))),
            Body::Notice {
                markup, revealed, ..
            } => {
                imp.body.set_markup(&shown(markup, revealed));
                imp.body.add_css_class("notice");
            }
            Body::Attachment(Attachment::Image(media) | Attachment::Sticker(media)) => {
                self.bind_picture(event, media, pictures);
            }
            Body::Attachment(
                attachment @ (Attachment::Video(media)
                | Attachment::Audio(media)
                | Attachment::File(media)),
            ) => {
                let details = text::media_details(media);
                let line = text::attachment(attachment);
                imp.body.set_text(&if details.is_empty() {
                    line
                } else {
                    format!("{line}\n{details}")
                });
                imp.body.add_css_class("dim-label");
                self.bind_caption(media);
                let video = matches!(attachment, Attachment::Video(_));
                if let (Attachment::Video(_) | Attachment::Audio(_), Some(pictures)) =
                    (attachment, &pictures)
                {
                    self.playback().bind(media, video, pictures.session());
                }
            }
            other => {
                imp.body.set_text(&placeholder(other));
                imp.body.add_css_class("dim-label");
            }
        }

        self.bind_reactions(event);
        self.bind_footer(event);
    }

    fn bind_reactions(&self, event: &EventEntry) {
        // The previous entry's reactions go; the box is made only for an entry with some.
        if let Some(reactions) = self.imp().reactions.get() {
            crate::ui::widgets::remove_children(reactions, |flow, child| flow.remove(child));
            reactions.set_visible(false);
        }
        if event.reactions.is_empty() {
            return;
        }
        let reactions = self.reactions();
        reactions.set_visible(true);
        for reaction in &event.reactions {
            let button = gtk::ToggleButton::with_label(&format!(
                "{} {}",
                reaction.key,
                reaction.senders.len()
            ));
            button.set_active(reaction.own);
            button.add_css_class("reaction");
            let who = reaction.senders.join(", ");
            let tooltip = gettext_f(
                "{reaction} from {who}",
                &[("reaction", &reaction.key), ("who", &who)],
            );
            button.set_tooltip_text(Some(&tooltip));
            let row = self.downgrade();
            let key = reaction.key.clone();
            button.connect_clicked(move |_| {
                if let Some(row) = row.upgrade() {
                    let target = (row.unique_id(), key.clone()).to_variant();
                    let _ = WidgetExt::activate_action(&row, "room.toggle-reaction", Some(&target));
                }
            });
            reactions.insert(&button, -1);
        }
    }

    /// The send state and the read receipts, when there is something to say.
    fn bind_footer(&self, event: &EventEntry) {
        let (status, failed) = match &event.send_state {
            SendState::Remote => (
                if event.edited {
                    gettext("(edited)")
                } else {
                    String::new()
                },
                false,
            ),
            SendState::Sending => match event.upload {
                Some(upload) if upload.total > 0 => (
                    gettext_f(
                        "Uploading… {percent} %",
                        &[("percent", &upload.percent().to_string())],
                    ),
                    false,
                ),
                _ => (gettext("Sending…"), false),
            },
            SendState::Sent => (gettext("Sent"), false),
            SendState::Failed { will_retry: true } => (
                gettext("Not sent yet: Sotto retries when the server answers."),
                true,
            ),
            SendState::Failed { will_retry: false } => (gettext("Not sent."), true),
        };
        let readers = &event.read_by;
        if status.is_empty() && !failed && readers.is_empty() {
            if let Some(footer) = self.imp().footer.get() {
                footer.footer.set_visible(false);
            }
            return;
        }
        let footer = self.footer();
        footer.footer.set_visible(true);
        footer.status.set_text(&status);
        footer.status.set_visible(!status.is_empty());
        footer.retry.set_visible(failed);
        footer.discard.set_visible(failed);
        // Compact avatars of up to three readers, "+N" for the others; the sentence and
        // the full list are the tooltip.
        for (i, avatar) in footer.receipt_avatars.iter().enumerate() {
            match readers.get(i) {
                Some(user) => {
                    avatar.set_text(Some(&short_id(user)));
                    avatar.set_visible(true);
                }
                None => avatar.set_visible(false),
            }
        }
        let more = readers.len().saturating_sub(footer.receipt_avatars.len());
        footer.receipts.set_text(&if more > 0 {
            format!("+{more}")
        } else {
            String::new()
        });
        footer.receipts.set_visible(more > 0);
        let sentence = receipts_label(readers);
        crate::ui::widgets::set_tooltip(
            &footer.receipt_box,
            &format!("{sentence}\n{}", readers.join("\n")),
        );
        footer.receipt_box.set_visible(!readers.is_empty());
    }
}

/// The widths of a wrapping label of a row, in characters: a minimum that fits the
/// narrowest phone, and a natural width of a comfortable line (wider windows still fill
/// their width).
fn set_wrapping_widths(label: &gtk::Label) {
    label.set_width_chars(8);
    label.set_max_width_chars(80);
}

/// The size a picture of `width` × `height` pixels shows at: its proportions, no larger
/// than [`PICTURE_MAX_WIDTH`] × [`PICTURE_MAX_HEIGHT`], never upscaled; a picture whose size
/// is unknown gets a 4:3 frame.
fn picture_size(width: Option<u32>, height: Option<u32>) -> (i32, i32) {
    let (Some(w), Some(h)) = (width.filter(|w| *w > 0), height.filter(|h| *h > 0)) else {
        return (PICTURE_MAX_WIDTH * 3 / 4, PICTURE_MAX_WIDTH * 9 / 16);
    };
    let (w, h) = (f64::from(w), f64::from(h));
    let scale = (f64::from(PICTURE_MAX_WIDTH) / w)
        .min(f64::from(PICTURE_MAX_HEIGHT) / h)
        .min(1.0);
    let side = |v: f64, max: i32| ((v * scale).round() as i32).clamp(PICTURE_MIN_SIDE, max);
    (side(w, PICTURE_MAX_WIDTH), side(h, PICTURE_MAX_HEIGHT))
}

/// True when `entry` is a change to the room (a join, a rename…).
pub fn is_state(entry: &Entry) -> bool {
    matches!(&entry.kind, EntryKind::Event(event) if matches!(event.body, Body::State(_)))
}

/// True when `event` follows `previous` closely enough to share its header.
fn continues_group(previous: &Entry, event: &EventEntry) -> bool {
    let EntryKind::Event(prev) = &previous.kind else {
        return false;
    };
    !matches!(prev.body, Body::State(_))
        && prev.sender == event.sender
        && event.timestamp_ms.saturating_sub(prev.timestamp_ms) < GROUP_WINDOW_MS
}

fn placeholder(body: &Body) -> String {
    match body {
        Body::Attachment(attachment) => text::attachment(attachment),
        Body::Unsupported(unsupported) => text::unsupported(unsupported),
        Body::State(change) => text::state_change(change),
        Body::Removed => gettext("Message removed"),
        Body::Undecryptable => {
            gettext("Waiting for this message's key. It appears as soon as the key arrives.")
        }
        Body::Text { plain, .. } | Body::Emote { plain, .. } | Body::Notice { plain, .. } => {
            plain.clone()
        }
    }
}

fn local_time(ms: u64) -> Option<glib::DateTime> {
    let seconds = i64::try_from(ms / 1000).ok()?;
    glib::DateTime::from_unix_local(seconds).ok()
}

/// The time of day of a message.
pub fn time_label(ms: u64) -> String {
    // Translators: the time of a message; see strftime for the codes ("%l:%M %p" for a
    // 12-hour clock).
    local_time(ms)
        .and_then(|t| t.format(&gettext("%H:%M")).ok())
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

/// "Today", "Yesterday", or the date.
fn day_label(ms: u64) -> String {
    let Some(day) = local_time(ms) else {
        return String::new();
    };
    let Ok(now) = glib::DateTime::now_local() else {
        return String::new();
    };
    let same_day = |a: &glib::DateTime, b: &glib::DateTime| {
        a.year() == b.year() && a.day_of_year() == b.day_of_year()
    };
    if same_day(&day, &now) {
        return gettext("Today");
    }
    if now.add_days(-1).is_ok_and(|y| same_day(&day, &y)) {
        return gettext("Yesterday");
    }
    // Translators: a day heading in a conversation; see strftime for the codes.
    day.format(&gettext("%A, %e %B %Y"))
        .map(|s| s.to_string())
        .unwrap_or_default()
}

fn receipts_label(read_by: &[String]) -> String {
    match read_by.len() {
        0 => String::new(),
        1 => gettext_f("Seen by {name}", &[("name", &short_id(&read_by[0]))]),
        n => {
            let n_u32 = u32::try_from(n).unwrap_or(u32::MAX);
            ngettext("Seen by {count} person", "Seen by {count} people", n_u32)
                .replace("{count}", &n.to_string())
        }
    }
}

/// `@alice:example.org` → `alice`.
fn short_id(user_id: &str) -> String {
    user_id
        .trim_start_matches('@')
        .split(':')
        .next()
        .unwrap_or(user_id)
        .to_owned()
}

/// An emote's line: `* Name does something`.
fn emote_markup(event: &EventEntry, markup: &str) -> String {
    format!(
        "* {} {markup}",
        glib::markup_escape_text(&event.sender_name)
    )
}

/// The body's markup with its spoilers revealed, when it has spoilers.
fn revealed_markup(event: &EventEntry) -> Option<String> {
    match &event.body {
        Body::Text { revealed, .. } | Body::Notice { revealed, .. } => revealed.clone(),
        Body::Emote { revealed, .. } => revealed.as_deref().map(|r| emote_markup(event, r)),
        _ => None,
    }
}
