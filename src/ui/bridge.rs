//! The one bridge between the GLib main loop and the engine's tokio runtime: engine
//! futures run on tokio, and their results are awaited on the main loop. A widget that
//! starts engine work and shows its result uses `run_for` (or `run_or_toast`).

use std::future::Future;
use std::sync::OnceLock;

use futures_util::{Stream, StreamExt};
use gtk::glib;
use gtk::glib::clone::{Downgrade, Upgrade};

use crate::ui::error_text::describe;
use crate::ui::widgets::Toasts;

static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();

/// The process's one tokio runtime. Two workers: the phone has four slow cores and the UI
/// needs one of them.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("sotto-engine")
            .enable_all()
            .build()
            .expect("the tokio runtime starts")
    })
}

/// Runs `future` on tokio; the returned future, awaited on the main loop, gives its output.
pub fn spawn_tokio<F>(future: F) -> impl Future<Output = F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handle = runtime().spawn(future);
    async move {
        match handle.await {
            Ok(output) => output,
            Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
            Err(err) => panic!("engine task cancelled: {err}"),
        }
    }
}

/// Runs a UI future on the main loop.
pub fn spawn_ui<F>(future: F) -> glib::JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    glib::MainContext::default().spawn_local(future)
}

/// Aborts a tokio task when dropped.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Polls an engine stream on tokio and calls `on_item` on the main loop for each item, in
/// order, until the stream ends or `on_item` returns `ControlFlow::Break`. The tokio side
/// stops, and lets go of the stream, as soon as the main-loop side ends however it ends:
/// aborted through the returned handle, or dropped with its main context.
pub fn forward_stream<S, T>(
    stream: S,
    mut on_item: impl FnMut(T) -> std::ops::ControlFlow<()> + 'static,
) -> glib::JoinHandle<()>
where
    S: Stream<Item = T> + Send + 'static,
    T: Send + 'static,
{
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
    let pump = runtime().spawn(async move {
        let mut stream = std::pin::pin!(stream);
        while let Some(item) = stream.next().await {
            if sender.send(item).is_err() {
                break;
            }
        }
    });
    // Without it, an aborted main-loop side would leave the pump subscribed to its stream
    // until the next item failed to send: for a quiet room's timeline, indefinitely.
    let pump = AbortOnDrop(pump.abort_handle());
    spawn_ui(async move {
        let _pump = pump;
        while let Some(item) = receiver.recv().await {
            if on_item(item).is_break() {
                break;
            }
        }
    })
}

/// Runs `work` on tokio, then `then` on the main loop with `owner` and the work's output,
/// only if `owner` still exists: while the work runs, only a weak reference to it is
/// kept, so a closed window or dialog is not held alive by what it started. `owner` is a
/// GObject (a widget) or an `Rc`.
pub fn run_for<O, F>(
    owner: &O,
    work: F,
    then: impl FnOnce(&O, F::Output) + 'static,
) -> glib::JoinHandle<()>
where
    O: Downgrade,
    O::Weak: Upgrade<Strong = O> + 'static,
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let owner = Downgrade::downgrade(owner);
    let output = spawn_tokio(work);
    spawn_ui(async move {
        let output = output.await;
        if let Some(owner) = owner.upgrade() {
            then(&owner, output);
        }
    })
}

/// Like [`run_for`] for work that can fail: `on_done` gets the value, and an error is
/// shown as a toast on `owner`, in words the person can act on.
pub fn run_or_toast<O, F, T>(
    owner: &O,
    work: F,
    on_done: impl FnOnce(&O, T) + 'static,
) -> glib::JoinHandle<()>
where
    O: Downgrade + Toasts,
    O::Weak: Upgrade<Strong = O> + 'static,
    F: Future<Output = crate::engine::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    run_for(owner, work, move |owner, result| match result {
        Ok(value) => on_done(owner, value),
        Err(err) => owner.show_toast(&describe(&err)),
    })
}
