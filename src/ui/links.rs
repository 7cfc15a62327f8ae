//! Asking before a link from a message leaves Sotto: a link's text can claim any
//! destination, so the dialog shows the full address and the host it really goes to.

use adw::prelude::*;
use gtk::gio;

use crate::i18n::{gettext, gettext_f};

/// Shows where `address` goes (`host`, as the engine found it) and opens it with the
/// system's default program only when the person chooses Open. Cancel is the default.
pub fn confirm_open(
    parent: &impl IsA<gtk::Window>,
    address: &str,
    host: &str,
) -> adw::MessageDialog {
    let dialog = adw::MessageDialog::new(
        Some(parent),
        Some(&gettext("Open This Link?")),
        Some(&gettext_f(
            "It goes to {host}. Open it only if you trust that site.",
            &[("host", host)],
        )),
    );
    // The body is plain text already (no markup); the address goes in a label of its own
    // that wraps anywhere and can be selected, so nothing of it is cut off.
    dialog.set_body_use_markup(false);
    let address_label = gtk::Label::builder()
        .label(address)
        .use_markup(false)
        .wrap(true)
        .wrap_mode(gtk::pango::WrapMode::Char)
        .selectable(true)
        .xalign(0.0)
        .css_classes(["monospace", "link-address"])
        .build();
    dialog.set_extra_child(Some(&address_label));
    let cancel = gettext("_Cancel");
    let open = gettext("_Open");
    dialog.add_responses(&[("cancel", cancel.as_str()), ("open", open.as_str())]);
    dialog.set_response_appearance("open", adw::ResponseAppearance::Suggested);
    dialog.set_default_response(Some("cancel"));
    dialog.set_close_response("cancel");
    let address = address.to_owned();
    let parent = parent.as_ref().downgrade();
    dialog.connect_response(None, move |_, response| {
        if response == "open" {
            launch(parent.upgrade().as_ref(), &address);
        }
    });
    dialog.present();
    dialog
}

fn launch(parent: Option<&gtk::Window>, address: &str) {
    let context = parent.map(|window| WidgetExt::display(window).app_launch_context());
    let parent = parent.map(|window| window.downgrade());
    gio::AppInfo::launch_default_for_uri_async(
        address,
        context.as_ref(),
        None::<&gio::Cancellable>,
        move |result| {
            if let Err(err) = result {
                tracing::info!("no program opened a link: {err}");
                if let Some(window) = parent
                    .and_then(|w| w.upgrade())
                    .and_downcast::<crate::ui::window::Window>()
                {
                    window.toast(&gettext("No app on this device opens this link."));
                }
            }
        },
    );
}
