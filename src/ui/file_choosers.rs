//! Asking the person for a file to save to or to open: through the desktop's portal when
//! there is one (`gtk::FileChooserNative`, which in a Flatpak is the only way out of the
//! sandbox), else GTK's own dialog.

use std::path::PathBuf;
use std::rc::Rc;

use gtk::prelude::*;

use crate::i18n::gettext;

/// Asks where to save a file over `parent`, suggesting `name`. `on_path` gets the chosen
/// path (nothing when the person cancels).
pub fn choose_save_path(
    parent: &impl IsA<gtk::Window>,
    title: &str,
    name: &str,
    on_path: impl Fn(PathBuf) + 'static,
) -> gtk::FileChooserNative {
    let chooser = gtk::FileChooserNative::new(
        Some(title),
        Some(parent),
        gtk::FileChooserAction::Save,
        Some(&gettext("_Save")),
        Some(&gettext("_Cancel")),
    );
    chooser.set_modal(true);
    chooser.set_current_name(name);
    run_chooser(&chooser, on_path);
    chooser
}

/// Asks for a file to open over `parent`. `on_path` gets the chosen path.
pub fn choose_open_path(
    parent: &impl IsA<gtk::Window>,
    title: &str,
    on_path: impl Fn(PathBuf) + 'static,
) -> gtk::FileChooserNative {
    let chooser = gtk::FileChooserNative::new(
        Some(title),
        Some(parent),
        gtk::FileChooserAction::Open,
        Some(&gettext("_Open")),
        Some(&gettext("_Cancel")),
    );
    chooser.set_modal(true);
    run_chooser(&chooser, on_path);
    chooser
}

/// Asks for a picture to open over `parent` (pictures only in the list). `on_path` gets
/// the chosen path.
pub fn choose_picture(
    parent: &impl IsA<gtk::Window>,
    on_path: impl Fn(PathBuf) + 'static,
) -> gtk::FileChooserNative {
    let chooser = choose_open_path(parent, &gettext("Choose a Picture"), on_path);
    let filter = gtk::FileFilter::new();
    filter.set_name(Some(&gettext("Pictures")));
    filter.add_mime_type("image/*");
    chooser.add_filter(&filter);
    chooser
}

fn run_chooser(chooser: &gtk::FileChooserNative, on_path: impl Fn(PathBuf) + 'static) {
    // The chooser must live until it answers: the closure keeps it, and lets it go then.
    let keep = Rc::new(std::cell::RefCell::new(Some(chooser.clone())));
    chooser.connect_response(move |chooser, response| {
        let path = (response == gtk::ResponseType::Accept)
            .then(|| chooser.file().and_then(|f| f.path()))
            .flatten();
        keep.borrow_mut().take();
        if let Some(path) = path {
            on_path(path);
        }
    });
    chooser.show();
}
