//! A row's attachment: a picture shown at its proportions (its placeholder, the "Load
//! Picture" button, the sentence when it cannot show, loading it and playing it when it
//! moves), the caption under it, and the player of a video or sound.

use std::rc::Rc;

use adw::prelude::*;
use gtk::subclass::prelude::*;
use gtk::{gdk, glib};

use crate::engine::timeline::picture::PictureError;
use crate::engine::timeline::{Attachment, EventEntry, Media};
use crate::i18n::{gettext, gettext_f};
use crate::ui::room_view::animation;
use crate::ui::room_view::pictures::{self, Loaded, Pictures, Want};
use crate::ui::room_view::playback::Playback;
use crate::ui::text;

use super::{MessageRow, set_wrapping_widths};

/// The largest a picture shows, in logical pixels: it fits beside the avatar on a phone
/// 360 pixels wide.
const PICTURE_MAX_WIDTH: i32 = 280;
const PICTURE_MAX_HEIGHT: i32 = 360;
/// The smallest side a picture shows at (a very long, thin picture stays visible).
const PICTURE_MIN_SIDE: i32 = 48;

/// A picture bound to the row.
pub struct ShownPicture {
    pub pictures: Rc<Pictures>,
    pub media: Media,
    /// The load button loads the whole file (it has no thumbnail and is large).
    pub whole: bool,
    pub status: PictureStatus,
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

impl MessageRow {
    /// The picture and caption, made (under the body) the first time they are needed.
    fn media_part(&self) -> &MediaPart {
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
            MediaPart {
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
    pub(super) fn hide_media(&self) {
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
    pub(super) fn playback(&self) -> Rc<Playback> {
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
    pub(super) fn bind_caption(&self, media: &Media) {
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
    pub(super) fn bind_picture(
        &self,
        event: &EventEntry,
        media: &Media,
        pictures: Option<Rc<Pictures>>,
    ) {
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
        imp.picture.replace(Some(ShownPicture {
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
        let asking = row.clone();
        let want = move || match asking.upgrade() {
            Some(row) if row.imp().picture_generation.get() == generation => {
                if row.is_on_screen() {
                    Want::OnScreen
                } else {
                    Want::OffScreen
                }
            }
            _ => Want::Gone,
        };
        crate::ui::bridge::spawn_ui(async move {
            let result = pictures.load(media, side, whole, want).await;
            if let Some(result) = result
                && let Some(row) = row.upgrade()
                && row.imp().picture_generation.get() == generation
            {
                row.show_loaded(result);
            }
        });
    }

    /// Whether some of the row is inside the list's visible area (a list binds rows above
    /// and below it too).
    pub fn is_on_screen(&self) -> bool {
        let Some(list) = self.ancestor(gtk::ListView::static_type()) else {
            return self.is_mapped();
        };
        let height = list.height() as f32;
        self.is_mapped()
            && self.compute_bounds(&list).is_some_and(|bounds| {
                bounds.height() > 0.0 && bounds.y() + bounds.height() > 0.0 && bounds.y() < height
            })
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
