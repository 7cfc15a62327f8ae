//! One member in the room details: avatar, name (with the Matrix ID when the name alone
//! could be mistaken for someone else's), the verified shield, role badge, and remove and ban
//! for those allowed. Activating it opens the member's page.

use std::rc::Rc;

use adw::prelude::*;
use gtk::{gio, glib};

use super::View;
use crate::engine::rooms::{self, Member, Membership, Role};
use crate::i18n::{gettext, gettext_f};

/// The row of `member`.
pub(super) fn row(view: &Rc<View>, member: &Member) -> adw::ActionRow {
    let subtitle = match (
        member.name_ambiguous || member.display_name == member.user_id,
        member.membership,
    ) {
        (true, Membership::Invited) if member.display_name != member.user_id => {
            gettext_f("{user} · Invited", &[("user", member.user_id.as_str())])
        }
        (_, Membership::Invited) => gettext("Invited"),
        (true, Membership::Joined) if member.display_name != member.user_id => {
            member.user_id.to_string()
        }
        _ => String::new(),
    };
    let row = crate::ui::widgets::plain_row(&member.display_name, &subtitle);
    row.set_widget_name(member.user_id.as_str());
    let avatar = adw::Avatar::new(36, Some(member.display_name.trim_start_matches('@')), true);
    view.show_member_avatar(&avatar, member);
    row.add_prefix(&avatar);
    if member.verified {
        row.add_suffix(&crate::ui::trust::shield::verified_shield());
    }
    // Activating the row opens the member's page (verify them there).
    row.set_activatable(true);
    let weak = Rc::downgrade(view);
    let shown = member.clone();
    row.connect_activated(move |_| {
        if let Some(view) = weak.upgrade() {
            view.open_member(&shown);
        }
    });
    let badge = match member.role {
        Role::Admin => Some(gettext("Admin")),
        Role::Moderator => Some(gettext("Moderator")),
        Role::User => None,
    };
    if let Some(badge) = badge {
        let label = gtk::Label::builder()
            .label(badge.as_str())
            .valign(gtk::Align::Center)
            .css_classes(["role-badge"])
            .build();
        if member.role == Role::Admin {
            label.add_css_class("admin");
        }
        row.add_suffix(&label);
    }
    if member.can_kick || member.can_ban {
        row.add_suffix(&actions_button(view, member));
    }
    row
}

fn actions_button(view: &Rc<View>, member: &Member) -> gtk::MenuButton {
    let menu = gio::Menu::new();
    let actions = gio::SimpleActionGroup::new();
    for (name, label, allowed, ban) in [
        (
            "remove",
            gettext("_Remove From Room…"),
            member.can_kick,
            false,
        ),
        ("ban", gettext("_Ban From Room…"), member.can_ban, true),
    ] {
        if !allowed {
            continue;
        }
        menu.append(Some(&label), Some(&format!("member.{name}")));
        let action = gio::SimpleAction::new(name, None);
        let view = Rc::downgrade(view);
        let member = member.clone();
        action.connect_activate(move |_, _| {
            if let Some(view) = view.upgrade() {
                confirm(&view, &member, ban);
            }
        });
        actions.add_action(&action);
    }
    let label = gettext_f("Actions for {name}", &[("name", &member.display_name)]);
    let button = gtk::MenuButton::builder()
        .icon_name("view-more-symbolic")
        .menu_model(&menu)
        .valign(gtk::Align::Center)
        .tooltip_text(label.as_str())
        .css_classes(["flat"])
        .build();
    crate::ui::widgets::set_accessible_label(&button, &label);
    button.insert_action_group("member", Some(&actions));
    button
}

/// Asks before removing or banning `member`, with an optional reason they will see.
pub(super) fn confirm(view: &Rc<View>, member: &Member, ban: bool) -> adw::MessageDialog {
    let who = if member.name_ambiguous || member.display_name == member.user_id {
        member.user_id.to_string()
    } else {
        format!("{} ({})", member.display_name, member.user_id)
    };
    let (heading, body, verb) = if ban {
        (
            gettext("Ban From Room?"),
            gettext_f(
                "{user} will be removed and cannot come back, even with an invitation, until unbanned.",
                &[("user", &who)],
            ),
            gettext("_Ban"),
        )
    } else {
        (
            gettext("Remove From Room?"),
            gettext_f(
                "{user} will be removed from the room. They can come back if invited again.",
                &[("user", &who)],
            ),
            gettext("_Remove"),
        )
    };
    let dialog = adw::MessageDialog::new(Some(&view.window), Some(&heading), Some(&body));
    let reason_label = gettext("Reason (optional)");
    let reason = gtk::Entry::builder()
        .placeholder_text(reason_label.as_str())
        .activates_default(true)
        .build();
    crate::ui::widgets::set_accessible_label(&reason, &reason_label);
    dialog.set_extra_child(Some(&reason));
    dialog.add_responses(&[("cancel", &gettext("_Cancel")), ("confirm", &verb)]);
    dialog.set_response_appearance("confirm", adw::ResponseAppearance::Destructive);
    dialog.set_default_response(Some("cancel"));
    dialog.set_close_response("cancel");
    let weak = Rc::downgrade(view);
    let user_id = member.user_id.clone();
    dialog.connect_response(
        None,
        glib::clone!(
            #[weak]
            reason,
            move |_, response| {
                let Some(view) = weak.upgrade() else {
                    return;
                };
                if response != "confirm" {
                    return;
                }
                let text = reason.text().trim().to_owned();
                let reason = (!text.is_empty()).then_some(text);
                let (session, room_id, user_id) =
                    (view.session.clone(), view.room_id.clone(), user_id.clone());
                view.act(async move {
                    if ban {
                        rooms::ban(&session, &room_id, &user_id, reason.as_deref()).await
                    } else {
                        rooms::kick(&session, &room_id, &user_id, reason.as_deref()).await
                    }
                });
            }
        ),
    );
    dialog.present();
    dialog
}
