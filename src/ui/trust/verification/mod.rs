//! The emoji verification dialog: follows one `VerificationFlow` from the request to the
//! seven emoji, then to verified or to the reason it ended. Its buttons are the actions
//! `verification.accept`, `.start`, `.confirm`, `.mismatch`, `.cancel` and `.close`.
//! Its pages are the template `verification-dialog.ui`; the emoji are filled in here.

mod imp;

use std::ops::ControlFlow;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::{gio, glib};

use crate::engine::ids::OwnedUserId;
use crate::engine::trust::verification::{CancelKind, FlowState, VerificationFlow, Verifications};
use crate::i18n::{gettext, gettext_f};
use crate::ui::bridge::{forward_stream, run_for, spawn_tokio, spawn_ui};
use crate::ui::error_text::describe;
use crate::ui::widgets::{Toasts, set_status_description, shown_text};

/// The translated name of a SAS emoji from its English name in the Matrix spec.
pub fn emoji_name(english: &str) -> String {
    match english {
        "Dog" => gettext("Dog"),
        "Cat" => gettext("Cat"),
        "Lion" => gettext("Lion"),
        "Horse" => gettext("Horse"),
        "Unicorn" => gettext("Unicorn"),
        "Pig" => gettext("Pig"),
        "Elephant" => gettext("Elephant"),
        "Rabbit" => gettext("Rabbit"),
        "Panda" => gettext("Panda"),
        "Rooster" => gettext("Rooster"),
        "Penguin" => gettext("Penguin"),
        "Turtle" => gettext("Turtle"),
        "Fish" => gettext("Fish"),
        "Octopus" => gettext("Octopus"),
        "Butterfly" => gettext("Butterfly"),
        "Flower" => gettext("Flower"),
        "Tree" => gettext("Tree"),
        "Cactus" => gettext("Cactus"),
        "Mushroom" => gettext("Mushroom"),
        "Globe" => gettext("Globe"),
        "Moon" => gettext("Moon"),
        "Cloud" => gettext("Cloud"),
        "Fire" => gettext("Fire"),
        "Banana" => gettext("Banana"),
        "Apple" => gettext("Apple"),
        "Strawberry" => gettext("Strawberry"),
        "Corn" => gettext("Corn"),
        "Pizza" => gettext("Pizza"),
        "Cake" => gettext("Cake"),
        "Heart" => gettext("Heart"),
        "Smiley" => gettext("Smiley"),
        "Robot" => gettext("Robot"),
        "Hat" => gettext("Hat"),
        "Glasses" => gettext("Glasses"),
        "Spanner" => gettext("Spanner"),
        "Santa" => gettext("Santa"),
        "Thumbs Up" => gettext("Thumbs Up"),
        "Umbrella" => gettext("Umbrella"),
        "Hourglass" => gettext("Hourglass"),
        "Clock" => gettext("Clock"),
        "Gift" => gettext("Gift"),
        "Light Bulb" => gettext("Light Bulb"),
        "Book" => gettext("Book"),
        "Pencil" => gettext("Pencil"),
        "Paperclip" => gettext("Paperclip"),
        "Scissors" => gettext("Scissors"),
        "Lock" => gettext("Lock"),
        "Key" => gettext("Key"),
        "Hammer" => gettext("Hammer"),
        "Telephone" => gettext("Telephone"),
        "Flag" => gettext("Flag"),
        "Train" => gettext("Train"),
        "Bicycle" => gettext("Bicycle"),
        "Aeroplane" => gettext("Aeroplane"),
        "Rocket" => gettext("Rocket"),
        "Trophy" => gettext("Trophy"),
        "Ball" => gettext("Ball"),
        "Guitar" => gettext("Guitar"),
        "Trumpet" => gettext("Trumpet"),
        "Bell" => gettext("Bell"),
        "Anchor" => gettext("Anchor"),
        "Headphones" => gettext("Headphones"),
        "Folder" => gettext("Folder"),
        "Pin" => gettext("Pin"),
        other => other.to_owned(),
    }
}

/// Why a verification ended, as a sentence.
pub fn cancel_text(kind: &CancelKind, by_us: bool) -> String {
    match kind {
        CancelKind::TimedOut if by_us => gettext(
            "The verification timed out: the other side did not answer in time, so this session stopped waiting. Nothing was verified. Start it again when both devices are at hand.",
        ),
        CancelKind::TimedOut => gettext(
            "The other side stopped waiting: the verification timed out there. Nothing was verified. Start it again when both devices are at hand.",
        ),
        CancelKind::Mismatch => gettext(
            "The emoji did not match, so nothing was verified. Someone may be interfering: try again, and if they differ again, do not trust this session.",
        ),
        CancelKind::Cancelled if by_us => gettext("You cancelled the verification."),
        CancelKind::Cancelled => gettext("The other side cancelled the verification."),
        CancelKind::AnsweredElsewhere => gettext("Another of your sessions answered this request."),
        CancelKind::OtherSessionSignedOut => gettext(
            "The other session was signed out, so the verification ended. Nothing was verified.",
        ),
        CancelKind::Other(_) => gettext("The verification ended unexpectedly. Try again."),
    }
}

glib::wrapper! {
    /// A dialog that walks through one emoji verification.
    pub struct VerificationDialog(ObjectSubclass<imp::VerificationDialog>)
        @extends adw::Window, gtk::Window, gtk::Widget,
        @implements gtk::Buildable, gtk::ConstraintTarget, gtk::Native,
            gtk::Root, gtk::ShortcutManager;
}

/// Asks `user_id` to verify (emoji in their direct chat) and shows the dialog over `parent`.
/// `button`, when given, is insensitive while the request is made; a failure, or
/// verifications that are not ready yet, go to `on_error` as a sentence.
pub fn verify_person(
    parent: &gtk::Window,
    button: Option<&gtk::Button>,
    verifications: Option<std::sync::Arc<Verifications>>,
    user_id: OwnedUserId,
    on_error: impl Fn(&str) + 'static,
) {
    let Some(verifications) = verifications else {
        on_error(&gettext(
            "Verification is not ready yet: wait until the account is connected.",
        ));
        return;
    };
    if let Some(button) = button {
        button.set_sensitive(false);
    }
    let button = button.map(|b| b.downgrade());
    let parent = parent.downgrade();
    spawn_ui(async move {
        let started = spawn_tokio(async move { verifications.verify_user(&user_id).await }).await;
        if let Some(button) = button.and_then(|b| b.upgrade()) {
            button.set_sensitive(true);
        }
        match started {
            Ok(flow) => {
                VerificationDialog::present_flow(parent.upgrade().as_ref(), flow);
            }
            Err(err) => on_error(&describe(&err)),
        }
    });
}

impl VerificationDialog {
    /// Shows `flow` in a new dialog over `parent` and follows it until it ends.
    pub fn present_flow(parent: Option<&gtk::Window>, flow: VerificationFlow) -> Self {
        let dialog: Self = glib::Object::new();
        dialog.set_transient_for(parent);
        dialog.install_actions();
        dialog.imp().flow.replace(Some(flow.clone()));
        let weak = dialog.downgrade();
        let follower = forward_stream(flow.states(), move |state| {
            let Some(dialog) = weak.upgrade() else {
                return ControlFlow::Break(());
            };
            dialog.show_state(state);
            ControlFlow::Continue(())
        });
        dialog.imp().follower.replace(Some(follower));
        dialog.present();
        dialog
    }

    fn install_actions(&self) {
        let group = gio::SimpleActionGroup::new();
        let add = |name: &str, run: fn(&VerificationDialog)| {
            let action = gio::SimpleAction::new(name, None);
            let weak = self.downgrade();
            action.connect_activate(move |_, _| {
                if let Some(dialog) = weak.upgrade() {
                    run(&dialog);
                }
            });
            group.add_action(&action);
        };
        add("accept", |d| {
            d.act(|flow| async move { flow.accept().await });
        });
        add("start", |d| {
            d.act(|flow| async move { flow.start_sas().await });
        });
        add("confirm", |d| {
            d.act(|flow| async move { flow.confirm().await });
        });
        add("mismatch", |d| {
            d.act(|flow| async move { flow.mismatch().await });
        });
        add("cancel", |d| {
            d.act(|flow| async move { flow.cancel().await });
        });
        add("close", |d| d.close());
        self.insert_action_group("verification", Some(&group));
        let _ = self.imp().actions.set(group);
    }

    /// Runs one step of the flow on the engine; a failure shows as a toast.
    fn act<F, Fut>(&self, step: F)
    where
        F: FnOnce(VerificationFlow) -> Fut,
        Fut: std::future::Future<Output = crate::engine::Result<()>> + Send + 'static,
    {
        let Some(flow) = self.flow() else {
            return;
        };
        self.set_buttons_sensitive(false);
        run_for(self, step(flow), |dialog, result| {
            dialog.set_buttons_sensitive(true);
            if let Err(err) = result {
                dialog.show_toast(&describe(&err));
            }
        });
    }

    fn set_buttons_sensitive(&self, sensitive: bool) {
        let Some(group) = self.imp().actions.get() else {
            return;
        };
        for name in ["accept", "start", "confirm", "mismatch", "cancel"] {
            if let Some(action) = group
                .lookup_action(name)
                .and_then(|a| a.downcast::<gio::SimpleAction>().ok())
            {
                action.set_enabled(sensitive);
            }
        }
    }

    /// The flow this dialog follows.
    pub fn flow(&self) -> Option<VerificationFlow> {
        self.imp().flow.borrow().clone()
    }

    /// The state shown now.
    pub fn state(&self) -> Option<FlowState> {
        self.imp().state.borrow().clone()
    }

    /// The page shown: `requested`, `waiting`, `compare`, `done` or `cancelled`.
    pub fn page(&self) -> String {
        self.imp()
            .stack
            .visible_child_name()
            .map(|n| n.to_string())
            .unwrap_or_default()
    }

    /// The emoji shown, as (emoji, translated name) pairs, in order.
    pub fn shown_emoji(&self) -> Vec<(String, String)> {
        let mut shown = Vec::new();
        let mut child = self.imp().emoji_box.first_child();
        while let Some(flow_child) = child {
            let labels = flow_child.first_child().map_or((None, None), |column| {
                let symbol = column.first_child();
                let name = symbol.as_ref().and_then(|s| s.next_sibling());
                (symbol, name)
            });
            if let (Some(symbol), Some(name)) = labels {
                let text = |w: gtk::Widget| {
                    w.downcast::<gtk::Label>()
                        .map(|l| l.label().to_string())
                        .unwrap_or_default()
                };
                shown.push((text(symbol), text(name)));
            }
            child = flow_child.next_sibling();
        }
        shown
    }

    /// The title and description of the page shown (the reason, once it ended).
    pub fn message(&self) -> (String, String) {
        let w = self.imp();
        let page = match self.page().as_str() {
            "requested" => &w.request_page,
            "waiting" => &w.wait_page,
            "done" => &w.done_page,
            "cancelled" => &w.cancelled_page,
            _ => return (String::new(), String::new()),
        };
        (
            page.title().to_string(),
            page.description()
                .map(|d| shown_text(&d))
                .unwrap_or_default(),
        )
    }

    fn cancel_if_running(&self) {
        let Some(flow) = self.flow() else {
            return;
        };
        if !flow.state().is_finished() {
            crate::ui::bridge::runtime().spawn(async move {
                if let Err(err) = flow.cancel().await {
                    tracing::warn!("could not cancel the verification: {err}");
                }
            });
        }
    }

    fn other_side(&self) -> String {
        let Some(flow) = self.flow() else {
            return String::new();
        };
        if flow.is_self_verification() {
            match flow.other_device_id() {
                Some(device) => gettext_f("your session {device}", &[("device", &device)]),
                None => gettext("your other session"),
            }
        } else {
            flow.other_user_id().to_string()
        }
    }

    fn show_state(&self, state: FlowState) {
        let w = self.imp();
        let Some(flow) = self.flow() else {
            return;
        };
        let other = self.other_side();
        self.imp().state.replace(Some(state.clone()));
        match state {
            FlowState::Requested if flow.we_started() => {
                self.show_waiting(
                    &gettext("Waiting for the Other Side"),
                    &if flow.is_self_verification() {
                        gettext(
                            "Open Sotto or another Matrix app on one of your other sessions and accept the request there.",
                        )
                    } else {
                        gettext_f(
                            "Waiting for {user} to accept the request.",
                            &[("user", &other)],
                        )
                    },
                    false,
                );
            }
            FlowState::Requested => {
                w.request_page.set_title(&gettext("Verification Request"));
                set_status_description(
                    &w.request_page,
                    Some(&if flow.is_self_verification() {
                        match flow.other_device_id() {
                            Some(device) => gettext_f(
                                "Your session {device} wants to verify this session. Accept only if you started this yourself on your other device.",
                                &[("device", &device)],
                            ),
                            None => gettext(
                                "Another of your sessions wants to verify this session. Accept only if you started this yourself on your other device.",
                            ),
                        }
                    } else {
                        gettext_f(
                            "{user} wants to verify you. Accept to compare emoji with them.",
                            &[("user", &other)],
                        )
                    }),
                );
                w.accept_button.set_visible(true);
                w.decline_button.set_visible(true);
                w.stack.set_visible_child_name("requested");
            }
            FlowState::Ready => {
                if flow.we_started() {
                    // The other side accepted: go straight to the emoji.
                    self.act(|flow| async move { flow.start_sas().await });
                    self.show_waiting(&gettext("Starting"), "", false);
                } else {
                    self.show_waiting(
                        &gettext("Ready to Compare"),
                        &gettext(
                            "Waiting for the other side to start. You can start it from here too.",
                        ),
                        true,
                    );
                }
            }
            FlowState::Starting => {
                self.show_waiting(
                    &gettext("Exchanging Keys"),
                    &gettext("This takes a moment."),
                    false,
                );
            }
            FlowState::Compare { emoji, decimals } => {
                self.fill_emoji(emoji, decimals);
                w.stack.set_visible_child_name("compare");
            }
            FlowState::Confirmed => {
                self.show_waiting(
                    &gettext("Waiting for the Other Side"),
                    &gettext("Confirm on the other device that the emoji match."),
                    false,
                );
            }
            FlowState::Done => {
                set_status_description(
                    &w.done_page,
                    Some(&if flow.is_self_verification() {
                        gettext_f(
                            "You verified {session}. Your sessions now trust each other and share keys.",
                            &[("session", &other)],
                        )
                    } else {
                        gettext_f("You verified {user}.", &[("user", &other)])
                    }),
                );
                w.stack.set_visible_child_name("done");
            }
            FlowState::Cancelled(reason) => {
                set_status_description(
                    &w.cancelled_page,
                    Some(&cancel_text(&reason.kind, reason.by_us)),
                );
                w.stack.set_visible_child_name("cancelled");
            }
        }
    }

    fn show_waiting(&self, title: &str, description: &str, can_start: bool) {
        let w = self.imp();
        w.wait_page.set_title(title);
        set_status_description(
            &w.wait_page,
            (!description.is_empty()).then_some(description),
        );
        w.start_button.set_visible(can_start);
        w.stack.set_visible_child_name("waiting");
    }

    fn fill_emoji(
        &self,
        emoji: Option<Vec<crate::engine::trust::verification::SasEmoji>>,
        decimals: (u16, u16, u16),
    ) {
        let w = self.imp();
        crate::ui::widgets::remove_children(&*w.emoji_box, |flow, child| flow.remove(child));
        match emoji {
            Some(emoji) => {
                for e in emoji {
                    let column = gtk::Box::new(gtk::Orientation::Vertical, 4);
                    column.set_width_request(64);
                    let symbol = gtk::Label::builder()
                        .label(e.symbol.as_str())
                        .css_classes(["sas-emoji"])
                        .build();
                    let name = gtk::Label::builder()
                        .label(emoji_name(&e.name))
                        .wrap(true)
                        .justify(gtk::Justification::Center)
                        .max_width_chars(10)
                        .css_classes(["caption"])
                        .build();
                    column.append(&symbol);
                    column.append(&name);
                    w.emoji_box.insert(&column, -1);
                }
                w.emoji_box.set_visible(true);
                w.decimals_label.set_visible(false);
            }
            None => {
                let (a, b, c) = decimals;
                w.decimals_label.set_label(&format!("{a}  {b}  {c}"));
                w.decimals_label.set_visible(true);
                w.emoji_box.set_visible(false);
            }
        }
    }
}

impl Toasts for VerificationDialog {
    fn show_toast(&self, text: &str) {
        self.imp().toasts.add_toast(crate::ui::widgets::toast(text));
    }
}
