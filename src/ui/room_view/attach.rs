//! Sending a picture or a file: the preview dialog that comes after the attach button, a
//! paste or a drop. A picture is prepared first (off the main loop): the dialog shows the
//! prepared picture, the size that will be sent and, in plain words, what was removed from
//! it; "Send original quality" prepares it again, "Keep file name" sends it under its own
//! name instead of `image.jpg`. A file that is not a picture is sent as it is, and the
//! dialog says that its metadata stays. Errors show in the dialog; the composer's text is
//! never touched.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;

use adw::prelude::*;
use gtk::{gdk, gio, glib};

use crate::engine::EngineError;
use crate::engine::media::{MediaError, PrepareOptions, PreparedImage, detect};
use crate::engine::timeline::RoomTimeline;
use crate::engine::timeline::media::prepare;
use crate::i18n::{gettext, gettext_f};
use crate::ui::bridge::{spawn_tokio, spawn_ui};
use crate::ui::error_text::{describe, describe_media};
use crate::ui::widgets::{plain_row, set_accessible_label};

/// What the person attached.
pub enum Source {
    /// A file they chose or dropped.
    File(gio::File),
    /// A picture from the clipboard, as PNG bytes (made by GTK: no metadata in them).
    Pasted(Vec<u8>),
}

/// The attached bytes and what is known about them.
struct Candidate {
    bytes: Arc<[u8]>,
    /// The file's own name; none for a pasted picture.
    name: Option<String>,
    /// The file's type as the system guesses it.
    content_type: Option<String>,
}

/// What the dialog would send now.
enum Ready {
    /// Nothing yet (loading, preparing) or nothing that can be sent.
    Nothing,
    Picture(Box<PreparedImage>),
    File,
}

/// The preview dialog.
#[derive(Clone)]
pub struct Preview {
    inner: Rc<Inner>,
}

struct Inner {
    window: adw::Window,
    timeline: RoomTimeline,
    title: adw::WindowTitle,
    send: gtk::Button,
    spinner: gtk::Spinner,
    error_group: adw::PreferencesGroup,
    error: gtk::Label,
    send_as_file: gtk::Button,
    picture: gtk::Picture,
    file_icon: gtk::Image,
    /// The picture or the file icon.
    shown_group: adw::PreferencesGroup,
    caption_group: adw::PreferencesGroup,
    caption: adw::EntryRow,
    details: adw::PreferencesGroup,
    detail_rows: RefCell<Vec<adw::ActionRow>>,
    quality_row: adw::ActionRow,
    quality: gtk::Switch,
    keep_name_row: adw::ActionRow,
    keep_name: gtk::Switch,
    removed: adw::PreferencesGroup,
    removed_rows: RefCell<Vec<gtk::Widget>>,
    candidate: RefCell<Option<Candidate>>,
    ready: RefCell<Ready>,
    /// Counts preparations, so that only the latest one's result is shown.
    generation: Cell<u32>,
    max_upload: Cell<Option<u64>>,
    /// Which of several files dropped together this is (from 1), and how many.
    position: Cell<Option<(usize, usize)>>,
    /// The title without the position ("Send Picture", "Send File").
    base_title: RefCell<String>,
}

impl Preview {
    /// Opens the dialog over `parent` for `source`, to be sent into `timeline`'s room.
    pub fn open(parent: &impl IsA<gtk::Window>, timeline: RoomTimeline, source: Source) -> Self {
        let preview = Self::build(parent, timeline);
        preview.inner.window.present();
        let this = preview.clone();
        spawn_ui(async move { this.load(source).await });
        preview
    }

    /// Says that this is file `number` (from 1) of `count` dropped together.
    pub fn set_position(&self, number: usize, count: usize) {
        self.inner.position.set(Some((number, count)));
        let base = self.inner.base_title.borrow().clone();
        self.set_title(&base);
    }

    /// The dialog's title: `base`, with the file's place among several.
    pub fn title(&self) -> String {
        self.inner.title.title().to_string()
    }

    fn set_title(&self, base: &str) {
        let inner = &self.inner;
        inner.base_title.replace(base.to_owned());
        let title = match inner.position.get() {
            Some((number, count)) => gettext_f(
                "{title} ({number} of {count})",
                &[
                    ("title", base),
                    ("number", &number.to_string()),
                    ("count", &count.to_string()),
                ],
            ),
            None => base.to_owned(),
        };
        inner.title.set_title(&title);
        inner.window.set_title(Some(&title));
    }

    /// The dialog window.
    pub fn window(&self) -> adw::Window {
        self.inner.window.clone()
    }

    /// Whether a picture or file is ready and can be sent.
    pub fn can_send(&self) -> bool {
        self.inner.send.is_sensitive()
    }

    /// The picture shown, once prepared.
    pub fn prepared(&self) -> Option<PreparedImage> {
        match &*self.inner.ready.borrow() {
            Ready::Picture(p) => Some((**p).clone()),
            _ => None,
        }
    }

    /// The "Send original quality" switch.
    pub fn quality_switch(&self) -> gtk::Switch {
        self.inner.quality.clone()
    }

    /// The "Keep file name" switch.
    pub fn keep_name_switch(&self) -> gtk::Switch {
        self.inner.keep_name.clone()
    }

    /// The caption field.
    pub fn caption_row(&self) -> adw::EntryRow {
        self.inner.caption.clone()
    }

    /// The error shown, if any.
    pub fn error_text(&self) -> Option<String> {
        self.inner
            .error_group
            .is_visible()
            .then(|| self.inner.error.text().to_string())
    }

    /// The Send button.
    pub fn send_button(&self) -> gtk::Button {
        self.inner.send.clone()
    }

    fn build(parent: &impl IsA<gtk::Window>, timeline: RoomTimeline) -> Self {
        let window = adw::Window::builder()
            .modal(true)
            .transient_for(parent)
            .destroy_with_parent(true)
            .default_width(480)
            .default_height(680)
            .width_request(360)
            .build();
        window.set_widget_name("attach-preview");
        let title = adw::WindowTitle::new(&gettext("Send Picture"), "");
        window.set_title(Some(&gettext("Send Picture")));
        let cancel = gtk::Button::with_mnemonic(&gettext("_Cancel"));
        let send = gtk::Button::builder()
            .label(gettext("_Send"))
            .use_underline(true)
            .sensitive(false)
            .css_classes(["suggested-action"])
            .build();
        let spinner = gtk::Spinner::builder().visible(false).build();
        spinner.set_tooltip_text(Some(&gettext("Working…")));
        set_accessible_label(&spinner, &gettext("Working…"));
        let header = adw::HeaderBar::builder()
            .show_end_title_buttons(false)
            .show_start_title_buttons(false)
            .title_widget(&title)
            .build();
        header.pack_start(&cancel);
        header.pack_end(&send);
        header.pack_end(&spinner);

        let page = adw::PreferencesPage::new();
        page.set_vexpand(true);

        let error = gtk::Label::builder()
            .wrap(true)
            .wrap_mode(gtk::pango::WrapMode::WordChar)
            .xalign(0.0)
            .accessible_role(gtk::AccessibleRole::Alert)
            .css_classes(["error"])
            .build();
        let send_as_file = gtk::Button::builder()
            .label(gettext("Send as _File"))
            .use_underline(true)
            .halign(gtk::Align::Start)
            .margin_top(6)
            .visible(false)
            .build();
        let error_box = gtk::Box::new(gtk::Orientation::Vertical, 0);
        error_box.append(&error);
        error_box.append(&send_as_file);
        let error_group = adw::PreferencesGroup::builder().visible(false).build();
        error_group.add(&error_box);
        page.add(&error_group);

        let picture = gtk::Picture::builder()
            .can_shrink(true)
            .content_fit(gtk::ContentFit::Contain)
            .height_request(220)
            .hexpand(true)
            .build();
        picture.add_css_class("attach-picture");
        set_accessible_label(&picture, &gettext("The picture as it will be sent"));
        let file_icon = gtk::Image::builder()
            .icon_name("text-x-generic-symbolic")
            .pixel_size(64)
            .margin_top(12)
            .margin_bottom(12)
            .visible(false)
            .css_classes(["dim-label"])
            .build();
        let shown = gtk::Box::new(gtk::Orientation::Vertical, 0);
        shown.append(&picture);
        shown.append(&file_icon);
        let shown_group = adw::PreferencesGroup::new();
        shown_group.add(&shown);
        page.add(&shown_group);

        let caption = adw::EntryRow::builder()
            .title(gettext("Caption (optional)"))
            .activates_default(true)
            .build();
        let caption_group = adw::PreferencesGroup::new();
        caption_group.add(&caption);
        page.add(&caption_group);

        let details = adw::PreferencesGroup::new();
        let quality = gtk::Switch::builder().valign(gtk::Align::Center).build();
        let quality_row = adw::ActionRow::builder()
            .title(gettext("Send Original Quality"))
            .subtitle(gettext("Full size instead of at most 2048 pixels"))
            .activatable_widget(&quality)
            .build();
        quality_row.add_suffix(&quality);
        let keep_name = gtk::Switch::builder().valign(gtk::Align::Center).build();
        let keep_name_row = adw::ActionRow::builder()
            .title(gettext("Keep File Name"))
            .use_markup(false)
            .activatable_widget(&keep_name)
            .build();
        keep_name_row.add_suffix(&keep_name);
        details.add(&quality_row);
        details.add(&keep_name_row);
        page.add(&details);

        let removed = adw::PreferencesGroup::builder()
            .title(gettext("Removed Before Sending"))
            .build();
        page.add(&removed);

        let content = gtk::Box::new(gtk::Orientation::Vertical, 0);
        content.append(&header);
        content.append(&page);
        window.set_content(Some(&content));
        window.set_default_widget(Some(&send));

        let escape = gtk::ShortcutController::new();
        escape.add_shortcut(gtk::Shortcut::new(
            gtk::ShortcutTrigger::parse_string("Escape"),
            Some(gtk::NamedAction::new("window.close")),
        ));
        window.add_controller(escape);

        let preview = Self {
            inner: Rc::new(Inner {
                window,
                timeline,
                title,
                send,
                spinner,
                error_group,
                error,
                send_as_file,
                picture,
                file_icon,
                shown_group,
                caption_group,
                caption,
                details,
                detail_rows: RefCell::default(),
                quality_row,
                quality,
                keep_name_row,
                keep_name,
                removed,
                removed_rows: RefCell::default(),
                candidate: RefCell::default(),
                ready: RefCell::new(Ready::Nothing),
                generation: Cell::new(0),
                max_upload: Cell::new(None),
                position: Cell::new(None),
                base_title: RefCell::new(gettext("Send Picture")),
            }),
        };
        preview.connect(&cancel);
        preview
    }

    fn connect(&self, cancel: &gtk::Button) {
        let inner = &self.inner;
        let window = inner.window.downgrade();
        cancel.connect_clicked(move |_| {
            if let Some(window) = window.upgrade() {
                window.close();
            }
        });
        let this = Rc::downgrade(&self.inner);
        inner.send.connect_clicked(move |_| {
            if let Some(inner) = this.upgrade() {
                Preview { inner }.send();
            }
        });
        let this = Rc::downgrade(&self.inner);
        inner.quality.connect_active_notify(move |_| {
            if let Some(inner) = this.upgrade() {
                Preview { inner }.prepare_picture();
            }
        });
        let this = Rc::downgrade(&self.inner);
        inner.keep_name.connect_active_notify(move |_| {
            if let Some(inner) = this.upgrade() {
                Preview { inner }.update_name();
            }
        });
        let this = Rc::downgrade(&self.inner);
        inner.send_as_file.connect_clicked(move |_| {
            if let Some(inner) = this.upgrade() {
                Preview { inner }.show_file();
            }
        });
        // The window holds the preview while it is open; closing lets it go. (Not on
        // "destroy": that comes only once the last reference is gone, and this closure
        // is one, so the window and the preview would keep each other.)
        let keep = RefCell::new(Some(self.clone()));
        inner.window.connect_unrealize(move |_| {
            keep.borrow_mut().take();
        });
    }

    fn busy(&self, busy: bool) {
        self.inner.spinner.set_visible(busy);
        self.inner.spinner.set_spinning(busy);
        if busy {
            self.inner.send.set_sensitive(false);
        }
    }

    /// Shows or hides what describes a sendable picture or file (hidden when there is
    /// only an error to show).
    fn show_sections(&self, shown: bool) {
        let inner = &self.inner;
        for group in [
            &inner.shown_group,
            &inner.caption_group,
            &inner.details,
            &inner.removed,
        ] {
            group.set_visible(shown);
        }
    }

    fn show_error(&self, text: &str, offer_file: bool) {
        let inner = &self.inner;
        inner.error.set_text(text);
        inner.send_as_file.set_visible(offer_file);
        inner.error_group.set_visible(true);
    }

    fn clear_error(&self) {
        self.inner.error_group.set_visible(false);
    }

    /// Reads what was attached, then prepares it as a picture or shows it as a file.
    async fn load(&self, source: Source) {
        self.busy(true);
        self.show_sections(false);
        let timeline = self.inner.timeline.clone();
        // The server's limit first: a file over it is not even read into memory.
        let max = spawn_tokio(async move { timeline.max_upload_size().await }).await;
        self.inner.max_upload.set(max.ok());
        let candidate = match source {
            Source::Pasted(bytes) => Candidate {
                bytes: bytes.into(),
                name: None,
                content_type: Some("image/png".into()),
            },
            Source::File(file) => match self.read(&file).await {
                Some(candidate) => candidate,
                None => {
                    self.busy(false);
                    return;
                }
            },
        };
        let is_picture = detect(&candidate.bytes).is_some()
            || candidate
                .content_type
                .as_deref()
                .is_some_and(|t| t.starts_with("image/"));
        let name = candidate.name.clone();
        self.inner.candidate.replace(Some(candidate));
        match name {
            Some(name) => self.inner.keep_name_row.set_subtitle(&gettext_f(
                "Sent as “{name}” instead of a neutral name",
                &[("name", &name)],
            )),
            None => self.inner.keep_name_row.set_visible(false),
        }
        if is_picture {
            self.prepare_picture();
        } else {
            self.show_file();
        }
    }

    /// The file's bytes, name and type; `None` after showing why it cannot be sent.
    async fn read(&self, file: &gio::File) -> Option<Candidate> {
        let attributes = "standard::display-name,standard::content-type,standard::size";
        let info = file
            .query_info_future(
                attributes,
                gio::FileQueryInfoFlags::NONE,
                glib::Priority::DEFAULT,
            )
            .await;
        let info = match info {
            Ok(info) => info,
            Err(err) => {
                tracing::info!(%err, "an attached file cannot be read");
                self.show_error(
                    &gettext("Sotto cannot read this file. Check that it still exists."),
                    false,
                );
                return None;
            }
        };
        let size = u64::try_from(info.size()).unwrap_or(0);
        if size == 0 {
            self.show_error(&describe_media(&MediaError::Empty), false);
            return None;
        }
        if let Some(max) = self.inner.max_upload.get()
            && size > max
        {
            self.show_error(
                &describe(&EngineError::TooLargeToUpload { size, max }),
                false,
            );
            return None;
        }
        let bytes = match file.load_contents_future().await {
            Ok((bytes, _)) => bytes,
            Err(err) => {
                tracing::info!(%err, "an attached file cannot be read");
                self.show_error(
                    &gettext("Sotto cannot read this file. Check that it still exists."),
                    false,
                );
                return None;
            }
        };
        if bytes.is_empty() {
            self.show_error(&describe_media(&MediaError::Empty), false);
            return None;
        }
        Some(Candidate {
            bytes: Arc::from(&bytes[..]),
            name: Some(info.display_name().to_string()),
            content_type: info
                .content_type()
                .and_then(|t| gio::content_type_get_mime_type(&t))
                .map(|t| t.to_string()),
        })
    }

    /// Prepares the picture (again, after the quality switch changed) and shows it.
    fn prepare_picture(&self) {
        let inner = &self.inner;
        let Some(bytes) = inner.candidate.borrow().as_ref().map(|c| c.bytes.clone()) else {
            return;
        };
        if matches!(*inner.ready.borrow(), Ready::File) {
            return;
        }
        let generation = inner.generation.get() + 1;
        inner.generation.set(generation);
        inner.ready.replace(Ready::Nothing);
        self.busy(true);
        self.clear_error();
        let options = PrepareOptions {
            original_quality: inner.quality.is_active(),
            keep_name: inner
                .candidate
                .borrow()
                .as_ref()
                .and_then(|c| c.name.clone()),
        };
        let this = self.clone();
        spawn_ui(async move {
            let result = spawn_tokio(prepare(bytes, options)).await;
            if this.inner.generation.get() != generation {
                return;
            }
            this.busy(false);
            match result {
                Ok(prepared) => this.show_picture(prepared),
                Err(err) => {
                    let offer_file = matches!(
                        err,
                        MediaError::NotAnImage
                            | MediaError::Unsupported
                            | MediaError::TooLarge { .. }
                    );
                    this.show_error(&describe_media(&err), offer_file);
                    this.inner.picture.set_paintable(None::<&gdk::Paintable>);
                    this.show_sections(false);
                }
            }
        });
    }

    fn show_picture(&self, prepared: PreparedImage) {
        let inner = &self.inner;
        self.show_sections(true);
        let texture = gdk::Texture::from_bytes(&glib::Bytes::from(&prepared.bytes[..]));
        match texture {
            Ok(texture) => inner.picture.set_paintable(Some(&texture)),
            // Sent all the same: GTK's own loader is not the one that prepared it.
            Err(err) => {
                tracing::info!(%err, "the prepared picture cannot be shown");
                inner.picture.set_paintable(None::<&gdk::Paintable>);
            }
        }
        self.set_details(&[(
            gettext("Size"),
            gettext_f(
                "{size}, {width} × {height} pixels",
                &[
                    ("size", &glib::format_size(prepared.bytes.len() as u64)),
                    ("width", &prepared.width.to_string()),
                    ("height", &prepared.height.to_string()),
                ],
            ),
        )]);
        self.set_removed(
            &prepared
                .removed
                .iter()
                .map(|r| crate::ui::text::removed(*r))
                .collect::<Vec<_>>(),
        );
        let size = prepared.bytes.len() as u64;
        inner.ready.replace(Ready::Picture(Box::new(prepared)));
        self.update_name();
        if let Some(max) = inner.max_upload.get()
            && size > max
        {
            self.show_error(
                &describe(&EngineError::TooLargeToUpload { size, max }),
                false,
            );
            inner.send.set_sensitive(false);
        } else {
            inner.send.set_sensitive(true);
        }
    }

    /// Shows the attachment as a file sent as it is.
    fn show_file(&self) {
        let inner = &self.inner;
        let Some((name, size, mime)) = inner.candidate.borrow().as_ref().map(|c| {
            (
                c.name.clone().unwrap_or_else(|| "file".to_owned()),
                c.bytes.len() as u64,
                c.content_type.clone(),
            )
        }) else {
            return;
        };
        inner.generation.set(inner.generation.get() + 1);
        self.busy(false);
        self.clear_error();
        inner.ready.replace(Ready::File);
        self.show_sections(true);
        self.set_title(&gettext("Send File"));
        inner.picture.set_visible(false);
        inner.file_icon.set_visible(true);
        inner.quality_row.set_visible(false);
        inner.keep_name_row.set_visible(false);
        let kind = mime.as_deref().map_or_else(
            || gettext("Unknown"),
            |m| gio::content_type_get_description(m).to_string(),
        );
        self.set_details(&[
            (gettext("Name"), name),
            (gettext("Size"), glib::format_size(size).to_string()),
            (gettext("Type"), kind),
        ]);
        inner.removed.set_visible(true);
        inner.removed.set_title(&gettext("Sent As It Is"));
        self.set_removed(&[]);
        self.replace_removed_rows(vec![
            gtk::Label::builder()
                .label(gettext(
                    "Files are sent as they are: hidden information in them, such as the place a photo was taken or the author of a document, is not removed.",
                ))
                .wrap(true)
                .xalign(0.0)
                .css_classes(["dim-label"])
                .build()
                .upcast(),
        ]);
        if let Some(max) = inner.max_upload.get()
            && size > max
        {
            self.show_error(
                &describe(&EngineError::TooLargeToUpload { size, max }),
                false,
            );
            inner.send.set_sensitive(false);
        } else {
            inner.send.set_sensitive(true);
        }
    }

    fn update_name(&self) {
        let inner = &self.inner;
        let keep = inner.keep_name.is_active();
        if let Ready::Picture(prepared) = &*inner.ready.borrow() {
            let name = if keep {
                prepared.file_name.clone()
            } else {
                format!("image.{}", prepared.format.extension())
            };
            inner.title.set_subtitle(&name);
        }
    }

    /// Shows `rows` (title, value) as the details of what is sent; the two switches stay.
    fn set_details(&self, rows: &[(String, String)]) {
        let inner = &self.inner;
        for row in inner.detail_rows.borrow_mut().drain(..) {
            inner.details.remove(&row);
        }
        let mut added = Vec::new();
        for (title, value) in rows {
            let row = plain_row(title, value);
            row.add_css_class("property");
            inner.details.add(&row);
            added.push(row);
        }
        // The switches come after the facts.
        for row in [&inner.quality_row, &inner.keep_name_row] {
            inner.details.remove(row);
            inner.details.add(row);
        }
        inner.detail_rows.replace(added);
    }

    /// Lists what was removed from the picture, or says there was nothing.
    fn set_removed(&self, removed: &[String]) {
        let inner = &self.inner;
        inner.removed.set_visible(true);
        let rows: Vec<gtk::Widget> = if removed.is_empty() {
            vec![plain_row(&gettext("Nothing to remove"), "").upcast()]
        } else {
            removed
                .iter()
                .map(|text| {
                    let row = plain_row(text, "");
                    row.set_title_lines(0);
                    let icon = gtk::Image::builder()
                        .icon_name("edit-clear-symbolic")
                        .accessible_role(gtk::AccessibleRole::Presentation)
                        .build();
                    row.add_prefix(&icon);
                    row.upcast()
                })
                .collect()
        };
        self.replace_removed_rows(rows);
    }

    fn replace_removed_rows(&self, rows: Vec<gtk::Widget>) {
        let inner = &self.inner;
        for row in inner.removed_rows.borrow_mut().drain(..) {
            inner.removed.remove(&row);
        }
        for row in &rows {
            inner.removed.add(row);
        }
        inner.removed_rows.replace(rows);
    }

    /// The texts of the rows under "Removed Before Sending" (for tests).
    pub fn removed_texts(&self) -> Vec<String> {
        self.inner
            .removed_rows
            .borrow()
            .iter()
            .filter_map(|w| {
                w.downcast_ref::<adw::ActionRow>()
                    .map(|r| r.title().to_string())
            })
            .collect()
    }

    fn send(&self) {
        let inner = &self.inner;
        let caption = inner.caption.text().to_string();
        let caption = (!caption.trim().is_empty()).then_some(caption);
        let timeline = inner.timeline.clone();
        let work: std::pin::Pin<Box<dyn Future<Output = crate::engine::Result<()>> + Send>> =
            match &*inner.ready.borrow() {
                Ready::Nothing => return,
                Ready::Picture(prepared) => {
                    let prepared = (**prepared).clone();
                    let keep = inner.keep_name.is_active();
                    Box::pin(async move {
                        timeline
                            .send_image(prepared, caption.as_deref(), keep)
                            .await
                    })
                }
                Ready::File => {
                    let Some((bytes, name, mime)) = inner.candidate.borrow().as_ref().map(|c| {
                        (
                            c.bytes.to_vec(),
                            c.name.clone().unwrap_or_else(|| "file".to_owned()),
                            c.content_type
                                .clone()
                                .unwrap_or_else(|| "application/octet-stream".to_owned()),
                        )
                    }) else {
                        return;
                    };
                    Box::pin(async move {
                        timeline
                            .send_file(bytes, &name, &mime, caption.as_deref())
                            .await
                    })
                }
            };
        self.busy(true);
        self.clear_error();
        let this = self.clone();
        spawn_ui(async move {
            let result = spawn_tokio(work).await;
            this.busy(false);
            match result {
                Ok(()) => this.inner.window.close(),
                Err(err) => {
                    this.show_error(&describe(&err), false);
                    this.inner.send.set_sensitive(true);
                }
            }
        });
    }
}
