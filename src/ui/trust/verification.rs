//! The emoji verification dialog: follows one `VerificationFlow` from the request to the
//! seven emoji, then to verified or to the reason it ended. Its buttons are the actions
//! `verification.accept`, `.start`, `.confirm`, `.mismatch`, `.cancel` and `.close`.

use std::cell::{OnceCell, RefCell};
use std::ops::ControlFlow;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::{gio, glib};

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

struct Widgets {
    toasts: adw::ToastOverlay,
    stack: gtk::Stack,
    request_page: adw::StatusPage,
    accept_button: gtk::Button,
    decline_button: gtk::Button,
    wait_page: adw::StatusPage,
    start_button: gtk::Button,
    emoji_box: gtk::FlowBox,
    decimals_label: gtk::Label,
    done_page: adw::StatusPage,
    cancelled_page: adw::StatusPage,
}

mod imp {
    use super::*;

    #[derive(Default)]
    pub struct VerificationDialog {
        pub(super) widgets: OnceCell<Widgets>,
        pub(super) flow: RefCell<Option<VerificationFlow>>,
        pub(super) state: RefCell<Option<FlowState>>,
        pub(super) follower: RefCell<Option<glib::JoinHandle<()>>>,
        pub(super) actions: OnceCell<gio::SimpleActionGroup>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for VerificationDialog {
        const NAME: &'static str = "SottoVerificationDialog";
        type Type = super::VerificationDialog;
        type ParentType = adw::Window;
    }

    impl ObjectImpl for VerificationDialog {
        fn dispose(&self) {
            if let Some(follower) = self.follower.take() {
                follower.abort();
            }
        }
    }
    impl WidgetImpl for VerificationDialog {}
    impl WindowImpl for VerificationDialog {
        fn close_request(&self) -> glib::Propagation {
            // Closing the dialog mid-way ends the verification on both sides.
            self.obj().cancel_if_running();
            self.parent_close_request()
        }
    }
    impl AdwWindowImpl for VerificationDialog {}
}

glib::wrapper! {
    /// A dialog that walks through one emoji verification.
    pub struct VerificationDialog(ObjectSubclass<imp::VerificationDialog>)
        @extends adw::Window, gtk::Window, gtk::Widget,
        @implements gtk::Buildable, gtk::ConstraintTarget, gtk::Native,
            gtk::Root, gtk::ShortcutManager;
}

fn button(label: &str, style: &str, action: &str) -> gtk::Button {
    gtk::Button::builder()
        .label(label)
        .use_underline(true)
        .action_name(action)
        .halign(gtk::Align::Center)
        .width_request(220)
        .css_classes(["pill", style])
        .build()
}

fn button_column(buttons: &[&gtk::Button]) -> gtk::Box {
    let column = gtk::Box::new(gtk::Orientation::Vertical, 12);
    column.set_halign(gtk::Align::Center);
    for b in buttons {
        column.append(*b);
    }
    column
}

fn status_page(name: &str, icon: &str, child: Option<&gtk::Widget>) -> adw::StatusPage {
    let page = adw::StatusPage::builder()
        .icon_name(icon)
        .vexpand(true)
        .build();
    page.set_widget_name(name);
    if let Some(child) = child {
        page.set_child(Some(child));
    }
    page
}

/// Asks `user_id` to verify (emoji in their direct chat) and shows the dialog over `parent`.
/// `button`, when given, is insensitive while the request is made; a failure, or
/// verifications that are not ready yet, go to `on_error` as a sentence.
pub fn verify_person(
    parent: &gtk::Window,
    button: Option<&gtk::Button>,
    verifications: Option<std::sync::Arc<Verifications>>,
    user_id: String,
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
        let dialog: Self = glib::Object::builder()
            .property("modal", true)
            .property("default-width", 420)
            .property("default-height", 620)
            .property("width-request", 360)
            .property("height-request", 294)
            .build();
        dialog.set_transient_for(parent);
        dialog.set_title(Some(&gettext("Verification")));
        dialog.build();
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

    fn widgets(&self) -> &Widgets {
        self.imp().widgets.get().expect("built in present_flow")
    }

    fn build(&self) {
        let header = adw::HeaderBar::new();
        let stack = gtk::Stack::builder()
            .transition_type(gtk::StackTransitionType::Crossfade)
            .vexpand(true)
            .build();

        let accept_button = button(
            &gettext("_Accept"),
            "suggested-action",
            "verification.accept",
        );
        let decline_button = button(&gettext("_Decline"), "flat", "verification.cancel");
        let request_page = status_page(
            "request",
            "dialog-question-symbolic",
            Some(button_column(&[&accept_button, &decline_button]).upcast_ref()),
        );
        stack.add_named(&request_page, Some("requested"));

        let start_button = button(
            &gettext("_Compare Emoji"),
            "suggested-action",
            "verification.start",
        );
        let spinner = gtk::Spinner::builder()
            .spinning(true)
            .width_request(32)
            .height_request(32)
            .halign(gtk::Align::Center)
            .build();
        let wait_cancel = button(&gettext("_Cancel"), "flat", "verification.cancel");
        let wait_column = button_column(&[&start_button, &wait_cancel]);
        wait_column.prepend(&spinner);
        let wait_page = status_page(
            "wait",
            "content-loading-symbolic",
            Some(wait_column.upcast_ref()),
        );
        stack.add_named(&wait_page, Some("waiting"));

        let compare = gtk::Box::builder()
            .orientation(gtk::Orientation::Vertical)
            .spacing(18)
            .margin_top(24)
            .margin_bottom(24)
            .margin_start(12)
            .margin_end(12)
            .valign(gtk::Align::Center)
            .build();
        let compare_title = gtk::Label::builder()
            .label(gettext("Compare the Emoji"))
            .css_classes(["title-2"])
            .wrap(true)
            .justify(gtk::Justification::Center)
            .build();
        let compare_hint = gtk::Label::builder()
            .label(gettext(
                "Check that the other screen shows the same emoji in the same order.",
            ))
            .wrap(true)
            .justify(gtk::Justification::Center)
            .build();
        let emoji_box = gtk::FlowBox::builder()
            .selection_mode(gtk::SelectionMode::None)
            .homogeneous(true)
            .min_children_per_line(4)
            .max_children_per_line(7)
            .column_spacing(0)
            .row_spacing(12)
            .halign(gtk::Align::Center)
            .build();
        let decimals_label = gtk::Label::builder()
            .css_classes(["title-1", "monospace"])
            .selectable(true)
            .visible(false)
            .build();
        let match_button = button(
            &gettext("They _Match"),
            "suggested-action",
            "verification.confirm",
        );
        let mismatch_button = button(
            &gettext("They _Don’t Match"),
            "destructive-action",
            "verification.mismatch",
        );
        compare.append(&compare_title);
        compare.append(&compare_hint);
        compare.append(&emoji_box);
        compare.append(&decimals_label);
        compare.append(&button_column(&[&match_button, &mismatch_button]));
        let scrolled = gtk::ScrolledWindow::builder()
            .hscrollbar_policy(gtk::PolicyType::Never)
            .child(&compare)
            .build();
        stack.add_named(&scrolled, Some("compare"));

        let done_page = status_page(
            "done",
            "emblem-ok-symbolic",
            Some(button(&gettext("_Close"), "suggested-action", "verification.close").upcast_ref()),
        );
        done_page.set_title(&gettext("Verified"));
        stack.add_named(&done_page, Some("done"));
        let cancelled_page = status_page(
            "cancelled",
            "dialog-warning-symbolic",
            Some(button(&gettext("_Close"), "flat", "verification.close").upcast_ref()),
        );
        cancelled_page.set_title(&gettext("Verification Ended"));
        stack.add_named(&cancelled_page, Some("cancelled"));

        let toasts = adw::ToastOverlay::new();
        toasts.set_child(Some(&stack));
        let content = gtk::Box::new(gtk::Orientation::Vertical, 0);
        content.append(&header);
        content.append(&toasts);
        self.set_content(Some(&content));
        let _ = self.imp().widgets.set(Widgets {
            toasts,
            stack,
            request_page,
            accept_button,
            decline_button,
            wait_page,
            start_button,
            emoji_box,
            decimals_label,
            done_page,
            cancelled_page,
        });
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
        self.widgets()
            .stack
            .visible_child_name()
            .map(|n| n.to_string())
            .unwrap_or_default()
    }

    /// The emoji shown, as (emoji, translated name) pairs, in order.
    pub fn shown_emoji(&self) -> Vec<(String, String)> {
        let mut shown = Vec::new();
        let mut child = self.widgets().emoji_box.first_child();
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
        let w = self.widgets();
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
            flow.other_user_id()
        }
    }

    fn show_state(&self, state: FlowState) {
        let w = self.widgets();
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
        let w = self.widgets();
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
        let w = self.widgets();
        crate::ui::widgets::remove_children(&w.emoji_box, |flow, child| flow.remove(child));
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
        self.widgets()
            .toasts
            .add_toast(crate::ui::widgets::toast(text));
    }
}
