//! Sotto's own conversation API, followed by a task that applies the diffs, for tests that
//! wait for what Sotto shows.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use eyeball_im::Vector;
use futures_util::StreamExt;
use sotto::engine::session::Session;
use sotto::engine::sync::AccountSync;
use sotto::engine::timeline::{Body, Entry, EntryKind, EventEntry, RoomTimeline};

use super::PATIENCE;

/// A timeline whose entries a task keeps up to date by applying the diffs.
pub struct Conversation {
    pub timeline: RoomTimeline,
    entries: Arc<Mutex<Vector<Entry>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Conversation {
    pub async fn open(session: &Session, sync: &AccountSync, room_id: &str) -> Self {
        let timeline = RoomTimeline::open(session, sync, &crate::harness::rid(room_id))
            .await
            .expect("the timeline opens");
        let (initial, mut diffs) = timeline.entries().await;
        let entries = Arc::new(Mutex::new(initial.into_iter().collect::<Vector<_>>()));
        let task = tokio::spawn({
            let entries = entries.clone();
            async move {
                while let Some(batch) = diffs.next().await {
                    let mut entries = entries.lock().unwrap();
                    for diff in batch {
                        diff.apply(&mut entries);
                    }
                }
            }
        });
        Self {
            timeline,
            entries,
            task,
        }
    }

    /// The events shown now.
    pub fn events(&self) -> Vec<EventEntry> {
        self.entries
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| match &e.kind {
                EntryKind::Event(event) => Some((**event).clone()),
                _ => None,
            })
            .collect()
    }

    /// Waits until an event satisfies `found`, and returns it.
    pub async fn wait_for(&self, what: &str, found: impl Fn(&EventEntry) -> bool) -> EventEntry {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Some(event) = self.events().into_iter().find(|e| found(e)) {
                return event;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {what}; the timeline shows {:#?}",
                self.events()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Conversation {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub fn text_of(event: &EventEntry) -> Option<&str> {
    match &event.body {
        Body::Text { plain, .. } | Body::Emote { plain, .. } | Body::Notice { plain, .. } => {
            Some(plain)
        }
        _ => None,
    }
}

pub fn markup_of(event: &EventEntry) -> &str {
    match &event.body {
        Body::Text { markup, .. } | Body::Emote { markup, .. } | Body::Notice { markup, .. } => {
            markup
        }
        _ => "",
    }
}
