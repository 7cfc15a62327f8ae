//! The picture viewer: a received picture opened large over the window. It shows the file
//! itself (decoded off the main loop, at most [`VIEWER_SIDE`] pixels on a side), first the
//! row's smaller copy while it loads. Pinch, Ctrl+scroll, the keyboard (+, −, 0) and a
//! double tap zoom; the arrows (buttons and keys) go to the room's previous and next
//! picture; Save asks where (through the portal in a Flatpak) and writes the file as the
//! sender sent it; Copy puts the picture on the clipboard. An animated GIF or WebP plays
//! (its frames decoded within `engine::media`'s bounds, at most [`ANIMATION_SIDE`]).

use std::cell::{Cell, RefCell};
use std::path::PathBuf;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::{gdk, glib};

use crate::engine::media::Frame;
use crate::engine::session::Session;
use crate::engine::timeline::Media;
use crate::engine::timeline::picture::{
    PictureError, decode_picture, download_file, load_frames, plays_from_file,
};
use crate::i18n::gettext;
use crate::ui::bridge::{spawn_tokio, spawn_ui};
use crate::ui::room_view::animation::{Frames, Player};
use crate::ui::text;
use crate::ui::widgets::texture_of;

/// The longest side a picture is decoded at for the viewer (a phone's screen is 1440
/// pixels high at most; zooming in needs more, a 12-megapixel photo's 4000 would take
/// 64 MB).
pub const VIEWER_SIDE: u32 = 2560;
/// The longest side an animated picture's frames are decoded at in the viewer: every
/// frame is kept, so fewer pixels each (the frames' bytes are bounded too).
pub const ANIMATION_SIDE: u32 = 1024;
/// The largest zoom, in screen pixels per picture pixel.
const MAX_ZOOM: f64 = 8.0;
/// One step of zooming in or out.
const ZOOM_STEP: f64 = 1.5;

/// One picture of the room, as the viewer pages through them.
#[derive(Clone, Debug)]
pub struct ViewedPicture {
    /// Who sent it (the name shown).
    pub sender: String,
    pub media: Media,
    /// The row's smaller copy, if it is loaded: shown while the file loads.
    pub preview: Option<gdk::Texture>,
}

/// What the viewer shows now (for tests and the accessibility tree).
#[derive(Clone, Debug, PartialEq)]
pub enum ViewerState {
    Loading,
    /// The picture, at its decoded size.
    Shown {
        width: i32,
        height: i32,
    },
    /// Why it cannot show.
    Problem(String),
}

mod imp {
    use super::*;

    #[derive(Default)]
    pub struct PictureViewer {
        pub session: RefCell<Option<Session>>,
        pub pictures: RefCell<Vec<ViewedPicture>>,
        pub index: Cell<usize>,
        pub texture: RefCell<Option<gdk::Texture>>,
        /// Plays an animated picture's frames while it is shown.
        pub player: RefCell<Option<Player>>,
        /// Screen pixels per picture pixel; `None` fits the picture to the window.
        pub zoom: Cell<Option<f64>>,
        /// The zoom when a pinch began.
        pub pinch_start: Cell<f64>,
        /// Counts the pictures shown, so a late load of an earlier one is dropped.
        pub generation: Cell<u64>,
        pub state: RefCell<Option<ViewerState>>,
        pub title: adw::WindowTitle,
        pub picture: gtk::Picture,
        pub scroller: gtk::ScrolledWindow,
        pub spinner: gtk::Spinner,
        pub problem: adw::StatusPage,
        pub stack: gtk::Stack,
        pub toasts: adw::ToastOverlay,
        pub previous: gtk::Button,
        pub next: gtk::Button,
        pub save: gtk::Button,
        pub copy: gtk::Button,
        pub zoom_in: gtk::Button,
        pub zoom_out: gtk::Button,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for PictureViewer {
        const NAME: &'static str = "SottoPictureViewer";
        type Type = super::PictureViewer;
        type ParentType = adw::Window;
    }

    impl ObjectImpl for PictureViewer {
        fn constructed(&self) {
            self.parent_constructed();
            self.obj().build();
        }
    }
    impl WidgetImpl for PictureViewer {}
    impl WindowImpl for PictureViewer {}
    impl AdwWindowImpl for PictureViewer {}
}

glib::wrapper! {
    pub struct PictureViewer(ObjectSubclass<imp::PictureViewer>)
        @extends adw::Window, gtk::Window, gtk::Widget,
        @implements gtk::Buildable, gtk::ConstraintTarget, gtk::Native, gtk::Root,
            gtk::ShortcutManager;
}

/// An icon button with its tooltip as accessible label, for the viewer's bars.
fn bar_button(button: &gtk::Button, icon: &str, tooltip: &str) {
    button.set_icon_name(icon);
    button.set_tooltip_text(Some(tooltip));
    crate::ui::widgets::set_accessible_label(button, tooltip);
}

impl PictureViewer {
    /// Opens the viewer over `parent` on `pictures[index]`; the others are a tap away.
    pub fn open(
        parent: &impl IsA<gtk::Window>,
        session: Session,
        pictures: Vec<ViewedPicture>,
        index: usize,
    ) -> Self {
        let viewer: Self = glib::Object::builder()
            .property("transient-for", parent)
            .property("modal", true)
            .property("destroy-with-parent", true)
            .build();
        let (width, height) = (parent.as_ref().width(), parent.as_ref().height());
        viewer.set_default_size(width.max(360), height.max(360));
        let imp = viewer.imp();
        imp.session.replace(Some(session));
        imp.pictures.replace(pictures);
        viewer.show_at(index);
        GtkWindowExt::present(&viewer);
        viewer
    }

    fn build(&self) {
        let imp = self.imp();
        self.set_widget_name("picture-viewer");
        GtkWindowExt::set_title(self, Some(&gettext("Picture")));
        bar_button(
            &imp.previous,
            "go-previous-symbolic",
            &gettext("Previous Picture"),
        );
        bar_button(&imp.next, "go-next-symbolic", &gettext("Next Picture"));
        bar_button(
            &imp.save,
            "document-save-symbolic",
            &gettext("Save Picture…"),
        );
        bar_button(&imp.copy, "edit-copy-symbolic", &gettext("Copy Picture"));
        bar_button(&imp.zoom_in, "zoom-in-symbolic", &gettext("Zoom In"));
        bar_button(&imp.zoom_out, "zoom-out-symbolic", &gettext("Zoom Out"));

        let header = adw::HeaderBar::new();
        header.set_title_widget(Some(&imp.title));
        header.pack_end(&imp.save);
        header.pack_end(&imp.copy);

        imp.picture.set_can_shrink(true);
        // Fitted, a picture smaller than the window shows at its own size, not blown up.
        imp.picture.set_content_fit(gtk::ContentFit::ScaleDown);
        imp.picture.set_hexpand(true);
        imp.picture.set_vexpand(true);
        imp.scroller.set_child(Some(&imp.picture));
        imp.scroller.add_css_class("picture-viewer");

        // The paging and zoom buttons float over the picture (the header bar is narrow on
        // a phone).
        let overlay = gtk::Overlay::new();
        overlay.set_child(Some(&imp.scroller));
        for (button, halign) in [
            (&imp.previous, gtk::Align::Start),
            (&imp.next, gtk::Align::End),
        ] {
            button.add_css_class("osd");
            button.add_css_class("circular");
            button.set_halign(halign);
            button.set_valign(gtk::Align::Center);
            button.set_margin_start(12);
            button.set_margin_end(12);
            overlay.add_overlay(button);
        }
        let zoom = gtk::Box::new(gtk::Orientation::Horizontal, 6);
        zoom.set_halign(gtk::Align::End);
        zoom.set_valign(gtk::Align::End);
        zoom.set_margin_end(12);
        zoom.set_margin_bottom(12);
        for button in [&imp.zoom_out, &imp.zoom_in] {
            button.add_css_class("osd");
            button.add_css_class("circular");
            zoom.append(button);
        }
        overlay.add_overlay(&zoom);
        imp.spinner.set_size_request(32, 32);
        imp.spinner.set_halign(gtk::Align::Center);
        imp.spinner.set_valign(gtk::Align::Center);
        imp.spinner.set_can_target(false);
        overlay.add_overlay(&imp.spinner);

        imp.problem.set_icon_name(Some("image-missing-symbolic"));
        imp.stack.add_named(&overlay, Some("picture"));
        imp.stack.add_named(&imp.problem, Some("problem"));
        imp.toasts.set_child(Some(&imp.stack));
        let content = gtk::Box::new(gtk::Orientation::Vertical, 0);
        content.append(&header);
        content.append(&imp.toasts);
        imp.toasts.set_vexpand(true);
        AdwWindowExt::set_content(self, Some(&content));

        self.connect_buttons();
        self.connect_gestures();
        self.connect_keys();
    }

    fn connect_buttons(&self) {
        let imp = self.imp();
        let on = |button: &gtk::Button, act: fn(&Self)| {
            let viewer = self.downgrade();
            button.connect_clicked(move |_| {
                if let Some(viewer) = viewer.upgrade() {
                    act(&viewer);
                }
            });
        };
        on(&imp.previous, |v| v.go(-1));
        on(&imp.next, |v| v.go(1));
        on(&imp.zoom_in, Self::zoom_in);
        on(&imp.zoom_out, Self::zoom_out);
        on(&imp.copy, Self::copy_to_clipboard);
        on(&imp.save, Self::ask_where_to_save);
    }

    fn connect_gestures(&self) {
        let imp = self.imp();
        let pinch = gtk::GestureZoom::new();
        let viewer = self.downgrade();
        pinch.connect_begin(move |_, _| {
            if let Some(viewer) = viewer.upgrade() {
                viewer.imp().pinch_start.set(viewer.scale());
            }
        });
        let viewer = self.downgrade();
        pinch.connect_scale_changed(move |_, delta| {
            if let Some(viewer) = viewer.upgrade() {
                let start = viewer.imp().pinch_start.get();
                viewer.set_zoom(start * delta);
            }
        });
        imp.scroller.add_controller(pinch);

        let scroll = gtk::EventControllerScroll::new(gtk::EventControllerScrollFlags::VERTICAL);
        let viewer = self.downgrade();
        scroll.connect_scroll(move |controller, _, dy| {
            let Some(viewer) = viewer.upgrade() else {
                return glib::Propagation::Proceed;
            };
            if !controller
                .current_event_state()
                .contains(gdk::ModifierType::CONTROL_MASK)
            {
                return glib::Propagation::Proceed;
            }
            if dy < 0.0 {
                viewer.zoom_in();
            } else if dy > 0.0 {
                viewer.zoom_out();
            }
            glib::Propagation::Stop
        });
        imp.scroller.add_controller(scroll);

        let taps = gtk::GestureClick::new();
        let viewer = self.downgrade();
        taps.connect_pressed(move |_, presses, _, _| {
            if presses == 2
                && let Some(viewer) = viewer.upgrade()
            {
                viewer.toggle_zoom();
            }
        });
        imp.scroller.add_controller(taps);
    }

    fn connect_keys(&self) {
        let keys = gtk::EventControllerKey::new();
        let viewer = self.downgrade();
        keys.connect_key_pressed(move |_, key, _, state| {
            let Some(viewer) = viewer.upgrade() else {
                return glib::Propagation::Proceed;
            };
            let control = state.contains(gdk::ModifierType::CONTROL_MASK);
            match key {
                gdk::Key::Left => viewer.go(-1),
                gdk::Key::Right => viewer.go(1),
                gdk::Key::plus | gdk::Key::equal | gdk::Key::KP_Add => viewer.zoom_in(),
                gdk::Key::minus | gdk::Key::KP_Subtract => viewer.zoom_out(),
                gdk::Key::_0 | gdk::Key::KP_0 => viewer.fit(),
                gdk::Key::Escape => GtkWindowExt::close(&viewer),
                gdk::Key::s if control => viewer.ask_where_to_save(),
                gdk::Key::c if control => viewer.copy_to_clipboard(),
                _ => return glib::Propagation::Proceed,
            }
            glib::Propagation::Stop
        });
        self.add_controller(keys);
    }

    /// The picture shown now.
    fn current(&self) -> Option<ViewedPicture> {
        let imp = self.imp();
        imp.pictures.borrow().get(imp.index.get()).cloned()
    }

    /// Which picture of the room is shown (from 0, oldest first), and how many there are.
    pub fn position(&self) -> (usize, usize) {
        let imp = self.imp();
        (imp.index.get(), imp.pictures.borrow().len())
    }

    /// What the viewer shows now.
    pub fn state(&self) -> ViewerState {
        self.imp()
            .state
            .borrow()
            .clone()
            .unwrap_or(ViewerState::Loading)
    }

    /// The zoom now: `None` when the picture fits the window.
    pub fn zoom(&self) -> Option<f64> {
        self.imp().zoom.get()
    }

    fn set_state(&self, state: ViewerState) {
        let imp = self.imp();
        let shown = matches!(state, ViewerState::Shown { .. });
        imp.spinner.set_spinning(state == ViewerState::Loading);
        imp.spinner.set_visible(state == ViewerState::Loading);
        imp.save
            .set_sensitive(!matches!(state, ViewerState::Problem(_)));
        imp.copy.set_sensitive(shown);
        imp.zoom_in.set_sensitive(shown);
        imp.zoom_out.set_sensitive(shown);
        if let ViewerState::Problem(sentence) = &state {
            imp.problem.set_title(sentence);
            imp.stack.set_visible_child_name("problem");
        } else {
            imp.stack.set_visible_child_name("picture");
        }
        imp.state.replace(Some(state));
    }

    /// Shows the room's picture at `index`, loading its file.
    fn show_at(&self, index: usize) {
        let imp = self.imp();
        let Some(shown) = imp.pictures.borrow().get(index).cloned() else {
            return;
        };
        let count = imp.pictures.borrow().len();
        imp.index.set(index);
        imp.previous.set_visible(count > 1);
        imp.next.set_visible(count > 1);
        imp.previous.set_sensitive(index > 0);
        imp.next.set_sensitive(index + 1 < count);
        let title = shown
            .media
            .caption
            .clone()
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| shown.media.name.clone());
        imp.title.set_title(&title);
        imp.title.set_subtitle(&shown.sender);
        imp.picture.set_alternative_text(Some(&title));
        imp.texture.replace(None);
        imp.player.replace(None);
        imp.zoom.set(None);
        self.apply_zoom();
        imp.picture.set_paintable(shown.preview.as_ref());
        self.set_state(ViewerState::Loading);

        let generation = imp.generation.get().wrapping_add(1);
        imp.generation.set(generation);
        let Some(session) = imp.session.borrow().clone() else {
            return;
        };
        let media = shown.media;
        let viewer = self.downgrade();
        spawn_ui(async move {
            let frames = spawn_tokio(async move {
                if plays_from_file(&media) {
                    return load_frames(&session, &media, ANIMATION_SIDE).await;
                }
                let bytes = download_file(&session, &media).await?;
                let pixels = decode_picture(bytes, VIEWER_SIDE).await?;
                Ok(vec![Frame {
                    pixels,
                    delay: std::time::Duration::ZERO,
                }])
            })
            .await;
            let Some(viewer) = viewer.upgrade() else {
                return;
            };
            if viewer.imp().generation.get() != generation {
                return;
            }
            viewer.show_loaded(frames.map(|frames| {
                frames
                    .into_iter()
                    .map(|frame| (texture_of(frame.pixels), frame.delay))
                    .collect()
            }));
        });
    }

    fn show_loaded(&self, loaded: Result<Frames, PictureError>) {
        let imp = self.imp();
        match loaded {
            Ok(frames) if !frames.is_empty() => {
                let texture = frames[0].0.clone();
                if frames.len() > 1 {
                    imp.player.replace(Some(Player::play(&imp.picture, frames)));
                } else {
                    imp.picture.set_paintable(Some(&texture));
                }
                let (width, height) = (texture.width(), texture.height());
                imp.texture.replace(Some(texture));
                self.apply_zoom();
                self.set_state(ViewerState::Shown { width, height });
            }
            Ok(_) => self.show_loaded(Err(PictureError::Damaged)),
            Err(error) => {
                imp.picture.set_paintable(None::<&gdk::Paintable>);
                self.set_state(ViewerState::Problem(text::picture_problem(error)));
            }
        }
    }

    /// The frame of an animated picture shown now, and how many it has; `None` for a
    /// picture that does not move.
    pub fn animation_frame(&self) -> Option<(usize, usize)> {
        self.imp()
            .player
            .borrow()
            .as_ref()
            .map(|player| (player.frame(), player.frames()))
    }

    /// Goes `step` pictures on (back when negative), if there is one there.
    pub fn go(&self, step: isize) {
        let (index, count) = self.position();
        if let Some(to) = index.checked_add_signed(step).filter(|&to| to < count) {
            self.show_at(to);
        }
    }

    /// Screen pixels per picture pixel now (the fitting scale when fitted).
    fn scale(&self) -> f64 {
        let imp = self.imp();
        if let Some(zoom) = imp.zoom.get() {
            return zoom;
        }
        let Some(texture) = imp.texture.borrow().clone() else {
            return 1.0;
        };
        let (width, height) = (
            f64::from(imp.scroller.width().max(1)),
            f64::from(imp.scroller.height().max(1)),
        );
        (width / f64::from(texture.width().max(1)))
            .min(height / f64::from(texture.height().max(1)))
            .min(1.0)
    }

    pub fn zoom_in(&self) {
        self.set_zoom(self.scale() * ZOOM_STEP);
    }

    pub fn zoom_out(&self) {
        self.set_zoom(self.scale() / ZOOM_STEP);
    }

    /// Fits the picture to the window again.
    pub fn fit(&self) {
        self.imp().zoom.set(None);
        self.apply_zoom();
    }

    /// A double tap: from fitted to the picture's own pixels (or twice the fitting scale
    /// for a small one), and back.
    fn toggle_zoom(&self) {
        if self.imp().zoom.get().is_some() {
            self.fit();
        } else {
            let fitted = self.scale();
            self.set_zoom(if fitted < 1.0 { 1.0 } else { fitted * 2.0 });
        }
    }

    /// Zooms to `zoom` screen pixels per picture pixel; at or under the fitting scale the
    /// picture fits again.
    fn set_zoom(&self, zoom: f64) {
        let imp = self.imp();
        if imp.texture.borrow().is_none() {
            return;
        }
        imp.zoom.set(None);
        let fitted = self.scale();
        imp.zoom
            .set((zoom > fitted * 1.01).then(|| zoom.min(MAX_ZOOM)));
        self.apply_zoom();
    }

    fn apply_zoom(&self) {
        let imp = self.imp();
        let texture = imp.texture.borrow().clone();
        match (imp.zoom.get(), texture) {
            (Some(zoom), Some(texture)) => {
                // Rounding to whole pixels is intended; the sizes are far below i32::MAX.
                #[allow(clippy::cast_possible_truncation)]
                let (width, height) = (
                    (f64::from(texture.width()) * zoom).round() as i32,
                    (f64::from(texture.height()) * zoom).round() as i32,
                );
                imp.picture.set_size_request(width, height);
                imp.picture.set_content_fit(gtk::ContentFit::Fill);
                imp.scroller
                    .set_policy(gtk::PolicyType::Automatic, gtk::PolicyType::Automatic);
            }
            _ => {
                imp.picture.set_size_request(-1, -1);
                imp.picture.set_content_fit(gtk::ContentFit::ScaleDown);
                imp.scroller
                    .set_policy(gtk::PolicyType::Never, gtk::PolicyType::Never);
            }
        }
        imp.zoom_out.set_sensitive(imp.zoom.get().is_some());
        imp.zoom_in
            .set_sensitive(imp.zoom.get().is_none_or(|zoom| zoom < MAX_ZOOM));
    }

    fn toast(&self, text: &str) {
        self.imp().toasts.add_toast(adw::Toast::new(text));
    }

    /// Copies the picture shown to the clipboard.
    pub fn copy_to_clipboard(&self) {
        let Some(texture) = self.imp().texture.borrow().clone() else {
            return;
        };
        WidgetExt::clipboard(self).set_texture(&texture);
        self.toast(&gettext("Picture copied"));
    }

    /// Asks where to save the picture's file, then saves it there.
    fn ask_where_to_save(&self) {
        let (Some(shown), Some(session)) = (self.current(), self.imp().session.borrow().clone())
        else {
            return;
        };
        super::save::ask_and_save(
            self,
            &gettext("Save Picture"),
            &gettext("picture"),
            session,
            shown.media,
            self.toaster(),
        );
    }

    /// Saves the file of the picture shown to `path`, as its sender sent it, and says so.
    pub fn save_to(&self, path: PathBuf) {
        let (Some(shown), Some(session)) = (self.current(), self.imp().session.borrow().clone())
        else {
            return;
        };
        super::save::save_and_say(session, shown.media, path, self.toaster());
    }

    /// Shows a sentence as a toast over the viewer, while the viewer is there.
    fn toaster(&self) -> impl Fn(&str) + Clone + 'static {
        let viewer = self.downgrade();
        move |sentence| {
            if let Some(viewer) = viewer.upgrade() {
                viewer.toast(sentence);
            }
        }
    }
}
