//! One member of a room, opened from the room details: name, Matrix ID, role, whether
//! this account verified them, and Verify, which starts an emoji comparison in the direct
//! chat with them and shows it in the verification dialog.

use std::cell::RefCell;
use std::ops::ControlFlow;
use std::rc::Rc;
use std::sync::Arc;

use adw::prelude::*;

use crate::engine::avatars::Avatar;
use crate::engine::ids::OwnedUserId;
use crate::engine::media::autoload::{RoomKind, SenderTrust};
use crate::engine::rooms::{Member, Role};
use crate::engine::session::Session;
use crate::engine::trust::identities::UserTrust;
use crate::engine::trust::verification::Verifications;
use crate::i18n::gettext;
use crate::ui::trust::shield;
use crate::ui::trust::verification::verify_person;

/// The widgets that change with the member's trust.
struct Page {
    window: adw::Window,
    toasts: adw::ToastOverlay,
    shield: gtk::Image,
    trust_row: adw::ActionRow,
    verify_button: gtk::Button,
    trust: RefCell<Option<UserTrust>>,
}

/// Opens the page of `member` over `parent`. Verify asks `verifications` (the window's) to
/// start; without them (the sync has not started yet) the button stays off.
pub fn show_member(
    parent: &impl IsA<gtk::Window>,
    session: Session,
    member: &Member,
    own: bool,
    room: RoomKind,
    verifications: Option<Arc<Verifications>>,
) -> adw::Window {
    let window = adw::Window::builder()
        .title(member.display_name.as_str())
        .modal(true)
        .transient_for(parent)
        .destroy_with_parent(true)
        .default_width(420)
        .default_height(560)
        .width_request(360)
        .build();
    window.set_widget_name("member-page");
    let toasts = adw::ToastOverlay::new();
    let content = gtk::Box::new(gtk::Orientation::Vertical, 0);
    content.append(&adw::HeaderBar::new());

    let body = gtk::Box::builder()
        .orientation(gtk::Orientation::Vertical)
        .spacing(12)
        .margin_top(18)
        .margin_bottom(18)
        .margin_start(12)
        .margin_end(12)
        .build();
    let avatar = adw::Avatar::new(96, Some(member.display_name.trim_start_matches('@')), true);
    avatar.set_halign(gtk::Align::Center);
    let picture = member.avatar_url.clone().map(|url| Avatar {
        url,
        trust: SenderTrust {
            own,
            verified: member.verified,
        },
    });
    crate::ui::avatars::show(&avatar, &session.avatars(), picture.as_ref(), room);
    crate::ui::avatars::load_on_tap(&avatar);
    body.append(&avatar);
    let name_box = gtk::Box::builder()
        .spacing(6)
        .halign(gtk::Align::Center)
        .build();
    let name = gtk::Label::builder()
        .label(member.display_name.as_str())
        .wrap(true)
        .wrap_mode(gtk::pango::WrapMode::WordChar)
        .justify(gtk::Justification::Center)
        .css_classes(["title-2"])
        .build();
    name_box.append(&name);
    let shield = shield::verified_shield();
    shield.set_pixel_size(20);
    shield.set_visible(false);
    name_box.append(&shield);
    body.append(&name_box);
    let user_id = gtk::Label::builder()
        .label(member.user_id.as_str())
        .selectable(true)
        .wrap(true)
        .wrap_mode(gtk::pango::WrapMode::WordChar)
        .justify(gtk::Justification::Center)
        .css_classes(["dim-label"])
        .build();
    body.append(&user_id);

    let rows = gtk::ListBox::builder()
        .selection_mode(gtk::SelectionMode::None)
        .css_classes(["boxed-list"])
        .margin_top(12)
        .build();
    let role = match member.role {
        Role::Admin => gettext("Admin"),
        Role::Moderator => gettext("Moderator"),
        Role::User => gettext("Member"),
    };
    rows.append(
        &adw::ActionRow::builder()
            .use_markup(false)
            .title(gettext("Role"))
            .subtitle(role.as_str())
            .build(),
    );
    let trust_row = adw::ActionRow::builder()
        .use_markup(false)
        .title(gettext("Identity"))
        .subtitle(gettext("Checking…"))
        .subtitle_lines(0)
        .build();
    rows.append(&trust_row);
    body.append(&rows);

    let verify_button = gtk::Button::builder()
        .label(gettext("_Verify"))
        .use_underline(true)
        .halign(gtk::Align::Center)
        .margin_top(12)
        .css_classes(["pill", "suggested-action"])
        .visible(false)
        .build();
    body.append(&verify_button);

    let clamp = adw::Clamp::builder().maximum_size(520).child(&body).build();
    let scrolled = gtk::ScrolledWindow::builder()
        .hscrollbar_policy(gtk::PolicyType::Never)
        .vexpand(true)
        .child(&clamp)
        .build();
    content.append(&scrolled);
    toasts.set_child(Some(&content));
    window.set_content(Some(&toasts));

    let page = Rc::new(Page {
        window: window.clone(),
        toasts,
        shield,
        trust_row,
        verify_button: verify_button.clone(),
        trust: RefCell::new(None),
    });

    if own {
        page.trust_row.set_subtitle(&gettext(
            "This is you. Verify your other sessions in the account settings.",
        ));
    } else {
        let weak = Rc::downgrade(&page);
        let follower = shield::follow_user(session, member.user_id.clone(), move |trust| {
            let Some(page) = weak.upgrade() else {
                return ControlFlow::Break(());
            };
            page.show(trust);
            ControlFlow::Continue(())
        });
        let weak = Rc::downgrade(&page);
        let other = member.user_id.clone();
        verify_button.connect_clicked(move |button| {
            if let Some(page) = weak.upgrade() {
                page.verify(button, other.clone(), verifications.clone());
            }
        });
        let follower = RefCell::new(Some(follower));
        // On unrealize, when the window closes ("destroy" would wait for the last
        // reference, and the page holds the window).
        window.connect_unrealize(move |_| {
            if let Some(follower) = follower.take() {
                follower.abort();
            }
        });
    }
    // The Matrix ID can be selected to copy it, but should not show selected (and focused)
    // when the page opens.
    window.connect_map(move |window| {
        let window = window.downgrade();
        let user_id = user_id.downgrade();
        gtk::glib::idle_add_local_once(move || {
            if let (Some(window), Some(user_id)) = (window.upgrade(), user_id.upgrade()) {
                user_id.select_region(0, 0);
                gtk::prelude::GtkWindowExt::set_focus(&window, None::<&gtk::Widget>);
            }
        });
    });
    // The window owns the page until it closes.
    let owned = RefCell::new(Some(page));
    window.connect_unrealize(move |_| {
        owned.take();
    });
    window.present();
    window
}

impl Page {
    fn show(&self, trust: UserTrust) {
        self.trust.replace(Some(trust));
        self.shield.set_visible(trust == UserTrust::Verified);
        self.trust_row.set_subtitle(&shield::user_text(trust));
        self.verify_button.set_visible(!matches!(
            trust,
            UserTrust::Verified | UserTrust::NoIdentity
        ));
        self.verify_button.set_label(&match trust {
            UserTrust::Changed | UserTrust::ChangedAfterVerification => gettext("_Verify Again"),
            _ => gettext("_Verify"),
        });
    }

    fn verify(
        self: &Rc<Self>,
        button: &gtk::Button,
        user_id: OwnedUserId,
        verifications: Option<Arc<Verifications>>,
    ) {
        let toasts = self.toasts.downgrade();
        verify_person(
            self.window.upcast_ref(),
            Some(button),
            verifications,
            user_id,
            move |text| {
                if let Some(toasts) = toasts.upgrade() {
                    toasts.add_toast(crate::ui::widgets::toast(text));
                }
            },
        );
    }
}
